"""URLs of chain and cluster diagrams: downloads (SVG / PNG / PDF / DOT), the refreshable
fragment, and the diff between two dates. Included at the root; names start with ``diagram_``."""

from django.urls import URLPattern, path, re_path

from chainmap.diagrams import views as views_diagrams

FMT = r"(?P<fmt>svg|png|pdf|dot)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns: list[URLPattern] = [
    re_path(rf"^chains/{SLUG}/diagram\.{FMT}$", views_diagrams.chain_file, name="diagram_chain_file"),
    path("chains/<slug:slug>/diagram/", views_diagrams.chain_fragment, name="diagram_chain_fragment"),
    path("chains/<slug:slug>/diff/", views_diagrams.chain_diff, name="diagram_chain_diff"),
    re_path(rf"^chains/{SLUG}/diff\.{FMT}$", views_diagrams.chain_diff_file, name="diagram_chain_diff_file"),
    re_path(rf"^clusters/{SLUG}/diagram\.{FMT}$", views_diagrams.cluster_file, name="diagram_cluster_file"),
    path("clusters/<slug:slug>/diagram/", views_diagrams.cluster_fragment, name="diagram_cluster_fragment"),
]
