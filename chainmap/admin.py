"""Django admin for the joint office: every model, with search and filters; history where kept.

Each area registers its own models (``chainmap.<area>.admin``); Django's autodiscovery imports this
module, which imports them all."""

from chainmap.accounts import admin as accounts_admin
from chainmap.bottlenecks import admin as bottlenecks_admin
from chainmap.diagrams import admin as diagrams_admin
from chainmap.enterprises import admin as enterprises_admin
from chainmap.imports import admin as imports_admin
from chainmap.leadership import admin as leadership_admin
from chainmap.maps import admin as maps_admin
from chainmap.matching import admin as matching_admin
from chainmap.reports import admin as reports_admin

AREAS = (
    accounts_admin,
    bottlenecks_admin,
    diagrams_admin,
    enterprises_admin,
    imports_admin,
    leadership_admin,
    maps_admin,
    matching_admin,
    reports_admin,
)
