"""Registry clients on one pooled httpx client: PyPI (simple + JSON API), npm, GOPROXY.

- :mod:`.http` — ``make_client``, ``request_with_retries``, ``wait_until_available``
- :mod:`.pypi` — ``published_files``, ``version_files``
- :mod:`.npm` — ``packument``, ``version_dist``
- :mod:`.goproxy` — ``info``, ``list_versions``, ``latest``, ``fetch_zip``, escaping

Every function takes the client as its first argument; none imports httpx at
module level, so importing them costs nothing on the ``doit list`` path.
"""
