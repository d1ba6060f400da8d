"""Users and their memberships (role, region, enterprise), the account pages, and the permission
rules (``permissions``): who may do what, one rule per function."""
