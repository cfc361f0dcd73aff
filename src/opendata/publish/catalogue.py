"""The portal's DCAT-AP 3 catalogue, as ckanext-dcat serves it (``/catalog.ttl``, paged with Hydra): the
document the national portal harvests. The platform writes no DCAT of its own; it maps its fields to
the extras the standard profile reads (publish.mapping.dcat_extras) and the portal's ``opendata_vn``
profile adds what DCAT-AP 3 asks of a Vietnamese city portal."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from ..exceptions import PublishError

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
MAX_PAGES = 1000  # 100 datasets a page: far beyond any city's catalogue
MAX_PAGE_BYTES = 64 * 2**20
SHAPES = Path(__file__).parent / "shacl" / "dcat-ap-3.0.0-SHACL.ttl"  # SEMIC's DCAT-AP 3.0.0 shapes (README there)


def fetch_catalogue(portal_url: str, timeout_s: float = 60) -> tuple[Graph, int]:
    """Every page merged into one graph (the paging triples dropped); returns it and the page count."""
    graph = Graph()
    url: str | None = f"{portal_url.rstrip('/')}/catalog.ttl"
    pages = 0
    while url and pages < MAX_PAGES:
        page = Graph().parse(data=_get(url, timeout_s), format="turtle")
        pages += 1
        following = next(iter(page.objects(None, HYDRA.nextPage)), None)
        for paging in set(page.subjects(HYDRA.itemsPerPage, None)):
            page.remove((paging, None, None))
        graph += page
        url = str(following) if following is not None else None
        if url and not url.startswith(portal_url.rstrip("/")):
            raise PublishError(f"the catalogue's next page leaves the portal: {url}", stage="catalogue")
    return graph, pages


def _get(url: str, timeout_s: float) -> str:
    try:
        with requests.get(url, timeout=timeout_s, stream=True, headers={"Accept": "text/turtle"}) as answer:
            if answer.status_code != 200:
                raise PublishError(f"{url}: HTTP {answer.status_code} (is ckanext-dcat enabled on the portal?)",
                                   status=answer.status_code, stage="catalogue")
            body = answer.raw.read(MAX_PAGE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise PublishError(f"{url}: the portal did not answer ({type(exc).__name__})", stage="catalogue") from exc
    if len(body) > MAX_PAGE_BYTES:
        raise PublishError(f"{url}: a catalogue page over {MAX_PAGE_BYTES // 2**20} MiB", stage="catalogue")
    return body.decode("utf-8")


def dataset_node(graph: Graph, identifier: str) -> URIRef | None:
    """The dcat:Dataset whose dct:identifier is the platform's key."""
    return next((s for s in graph.subjects(DCTERMS.identifier, Literal(identifier)) if isinstance(s, URIRef)), None)


def dataset_graph(portal_url: str, name: str, timeout_s: float = 60) -> Graph:
    """One dataset's DCAT, as the portal serves it at ``/dataset/<name>.ttl``."""
    return Graph().parse(data=_get(f"{portal_url.rstrip('/')}/dataset/{name}.ttl", timeout_s), format="turtle")


@cache
def _shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def shacl_violations(graph: Graph) -> list[str]:
    """What the DCAT-AP 3 shapes find wrong with ``graph`` (path: message), none when it conforms."""
    from pyshacl import validate
    from rdflib.namespace import SH

    conforms, results, _ = validate(graph, shacl_graph=_shapes())
    return [] if conforms else sorted({f"{results.value(r, SH.resultPath)}: {results.value(r, SH.resultMessage)}"
                                       for r in results.subjects(SH.resultMessage, None)})
