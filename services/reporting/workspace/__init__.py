"""The secretaries' workspace: the pages under /workspace (routes.py) and their scripts
(static/workspace/), drawn from the services' OpenAPI documents, offline too."""
