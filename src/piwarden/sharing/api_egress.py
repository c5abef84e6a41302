"""The registry's browser-script origins for the website that embeds the banner (K-3.2).

The website builds its CSP ``script-src`` from this list, so a third-party script loads only
while its vendor is an active recipient. Public: the list is no secret (every visitor reads
it in the page's CSP header) and holds no PI.
"""

from ninja import Router, Schema

from piwarden.sharing import selectors

router = Router(tags=["sharing"])


class ScriptHostsOut(Schema):
    script_src: list[str]


@router.get("/script-hosts", response=ScriptHostsOut, auth=None)
def script_hosts(request):
    """Origins (``https://cdn.example.cn``) of the scripts of active recipients."""
    return {"script_src": selectors.script_origins()}
