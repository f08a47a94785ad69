"""Response headers Django's SecurityMiddleware does not set: Content-Security-Policy and
Permissions-Policy.

The policy allows scripts and styles only from our own static files: no inline script, no
inline style, no eval. Templates therefore carry no <script> body, no on* attribute and no
style attribute; htmx is told not to inject its indicator style (see base.html). The
Django admin, which is not ours, keeps its inline style attributes.
"""

from django.conf import settings

ADMIN_STYLE_ATTRIBUTES = "; style-src-attr 'unsafe-inline'"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith("/admin/"):
            policy += ADMIN_STYLE_ATTRIBUTES
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
