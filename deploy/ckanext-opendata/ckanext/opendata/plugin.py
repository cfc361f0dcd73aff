"""CKAN plugin ``opendata``: the portal-side action the platform's publisher uses for large tables, the
quality panel on each dataset page (templates/, helpers), the search facets for refresh state,
quality band and domain, and the refusal of tables uploaded by hand (uploads: the platform loads the
DataStore). The dataset schema (schemas/dataset.yaml) is served by ckanext-scheming."""

from __future__ import annotations

import ckan.plugins as p
from ckan.plugins import toolkit

from . import actions, helpers, uploads
from .words import WORDS

# The schema's fields are kept as extras in CKAN's tables; CKAN indexes each twice, as extras_<field> (CKAN's
# schema.xml: English-stemmed text, so a facet would read "overdu") and as <field> (its catch-all string field):
# the facets and filters use the exact strings. The groups are the catalogue's domains.
FACETS = {field: f"{vi} / {en}" for field, vi, en in WORDS["facets"]}


class OpendataPlugin(p.SingletonPlugin):
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IConfigurer)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IResourceController, inherit=True)

    def get_actions(self) -> dict:
        return {"opendata_datastore_load": actions.opendata_datastore_load, "datastore_delete": actions.datastore_delete}

    def get_auth_functions(self) -> dict:
        return {"opendata_datastore_load": actions.load_auth}

    def update_config(self, config) -> None:
        toolkit.add_template_directory(config, "templates")

    def get_helpers(self) -> dict:
        return {"opendata_quality": helpers.quality}

    def before_resource_create(self, context, resource) -> None:
        uploads.refuse_hand_table(resource)

    def before_resource_update(self, context, current, resource) -> None:
        uploads.refuse_hand_table(resource)

    def dataset_facets(self, facets_dict, package_type):
        facets_dict.update(FACETS)
        return facets_dict

    def group_facets(self, facets_dict, group_type, package_type):
        facets_dict.update(FACETS)
        return facets_dict

    def organization_facets(self, facets_dict, organization_type, package_type):
        facets_dict.update(FACETS)
        return facets_dict
