// Swagger UI over this service's OpenAPI document, started from a file of the service: the
// docs page's Content-Security-Policy allows no inline script. The settings are FastAPI's own.
'use strict';

window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
