"""Publishing to CKAN: the only place that talks to the portal (through ckanapi)."""
