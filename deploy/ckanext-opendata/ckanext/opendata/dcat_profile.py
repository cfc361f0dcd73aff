"""RDF profile ``opendata_vn``, layered after ckanext-dcat's ``euro_dcat_ap_3``: what DCAT-AP 3 asks of a
catalogue and the standard profile cannot know about a Vietnamese city portal.

- the catalogue's publisher (mandatory in DCAT-AP 3): the city, from ``ckanext.opendata.catalog_publisher``,
  and its language as the EU authority's IRI;
- the English title and description the platform keeps beside the Vietnamese ones (``title_en``, and the
  description's ``**English:**`` paragraph), as language-tagged literals;
- the ranges DCAT-AP 3 requires where the standard profile writes text: a distribution's format as an EU
  file type and its media type as an IANA one (both IRIs), themes as skos:Concept with the domain's
  name, the contact point also a vcard:Kind, links as rdfs:Resource.

The quality scores and the refresh state stay on the page and in the API: in the graph they would need
the full DQV model (``dqv:hasQualityMeasurement``), not done yet.
"""

from __future__ import annotations

from ckan.plugins import toolkit
from rdflib import BNode, Literal, URIRef

from ckanext.dcat.profiles import DCAT, DCT, FOAF, RDF, RDFS, SKOS, VCARD, RDFProfile

ENGLISH_MARK = "**English:**"
DCT_FORMAT = DCT["format"]  # not DCT.format: the namespace is a str, and that is str.format
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "http://www.iana.org/assignments/media-types/"
LANGUAGES = {"vi": "http://publications.europa.eu/resource/authority/language/VIE",
             "en": "http://publications.europa.eu/resource/authority/language/ENG"}
MEDIA_TYPES = {"CSV": "text/csv", "PARQUET": "application/vnd.apache.parquet", "HTML": "text/html",
               "JSON": "application/json", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class OpendataVnProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict, dataset_ref) -> None:
        g = self.g
        title_en = self._get_dataset_value(dataset_dict, "title_en")  # the schema's field (or an extra)
        domain_title = self._get_dataset_value(dataset_dict, "domain_title")
        title_vi = dataset_dict.get("title")
        if title_vi:  # the standard profile wrote it untagged: say it is Vietnamese
            g.remove((dataset_ref, DCT.title, Literal(title_vi)))
            g.add((dataset_ref, DCT.title, Literal(title_vi, lang="vi")))
        if title_en:
            g.add((dataset_ref, DCT.title, Literal(title_en, lang="en")))
        notes = dataset_dict.get("notes") or ""
        if notes:
            g.remove((dataset_ref, DCT.description, Literal(notes)))
            vietnamese, _, english = notes.partition(ENGLISH_MARK)
            g.add((dataset_ref, DCT.description, Literal(vietnamese.strip() or notes, lang="vi")))
            if english.strip():
                g.add((dataset_ref, DCT.description, Literal(english.strip(), lang="en")))
        for theme in list(g.objects(dataset_ref, DCAT.theme)):
            g.add((theme, RDF.type, SKOS.Concept))
            if domain_title:
                g.add((theme, SKOS.prefLabel, Literal(domain_title, lang="vi")))
        for contact in list(g.objects(dataset_ref, DCAT.contactPoint)):
            g.add((contact, RDF.type, VCARD.Kind))
        for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
            self._typed_format(distribution)

    def _typed_format(self, distribution) -> None:
        """``dct:format "CSV"`` → the EU file type CSV; ``dcat:mediaType`` from it, as an IANA IRI."""
        g = self.g
        for link in (DCAT.accessURL, DCAT.downloadURL):
            for url in list(g.objects(distribution, link)):
                g.add((url, RDF.type, RDFS.Resource))
        for fmt in list(g.objects(distribution, DCT_FORMAT)):
            if isinstance(fmt, Literal):
                g.remove((distribution, DCT_FORMAT, fmt))
                code = str(fmt).strip().upper()
                g.add((distribution, DCT_FORMAT, URIRef(FILE_TYPE + code)))
                g.add((URIRef(FILE_TYPE + code), RDF.type, DCT.MediaTypeOrExtent))
                for old in list(g.objects(distribution, DCAT.mediaType)):
                    g.remove((distribution, DCAT.mediaType, old))
                if code in MEDIA_TYPES:
                    g.add((distribution, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[code])))
                    g.add((URIRef(IANA + MEDIA_TYPES[code]), RDF.type, DCT.MediaType))

    def graph_from_catalog(self, catalog_dict: dict, catalog_ref) -> None:
        g = self.g
        name = toolkit.config.get("ckanext.opendata.catalog_publisher") or toolkit.config.get("ckan.site_title")
        uri = toolkit.config.get("ckanext.opendata.catalog_publisher_uri")
        publisher = URIRef(uri) if uri else BNode()
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(name, lang="vi")))
        g.add((catalog_ref, DCT.publisher, publisher))
        for language in list(g.objects(catalog_ref, DCT.language)):  # "vi" from ckan.locale_default
            if isinstance(language, Literal) and str(language) in LANGUAGES:
                g.remove((catalog_ref, DCT.language, language))
                g.add((catalog_ref, DCT.language, URIRef(LANGUAGES[str(language)])))
                g.add((URIRef(LANGUAGES[str(language)]), RDF.type, DCT.LinguisticSystem))
        for homepage in list(g.objects(catalog_ref, FOAF.homepage)):
            g.add((homepage, RDF.type, FOAF.Document))
