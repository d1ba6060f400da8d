"""The base every area stands on: base models and regions, roles, exceptions, validators, cache
versions, jobs by pinned name, middleware, request helpers, and the API's base classes and error
shape. Imports no area."""
