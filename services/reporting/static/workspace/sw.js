// Service worker of the workspace: the page and its files, and the services' OpenAPI documents
// the forms are drawn from, come from the network when it answers and from this cache when it
// does not, so a council office without a connection can still open the page and type records.
'use strict';

const CACHE = 'hdnd-workspace-v4';
const SHELL = ['/workspace/', '/workspace/workspace.css', '/workspace/labels.js', '/workspace/schemaform.js',
  '/workspace/outbox.js', '/workspace/session.js', '/workspace/qr.js', '/workspace/signin.js',
  '/workspace/accounts.js', '/workspace/activity.js', '/workspace/groups.js', '/workspace/listrows.js',
  '/workspace/suggestions.js', '/workspace/menu.js', '/workspace/bell.js', '/workspace/app.js',
  '/workspace/config.json', '/workspace/sso.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function cacheable(url) {
  return (url.origin === self.location.origin && url.pathname.startsWith('/workspace/') && url.pathname !== '/workspace/units')
    || url.pathname.endsWith('/openapi.json'); // a service's own port, or its path behind the proxy
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !cacheable(url)) return; // records and lists: the page handles failures
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
    }
    return response;
  }).catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error())));
});
