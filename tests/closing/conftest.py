from tests.api.conftest import api_client, token_a  # noqa: F401 - the API's fixtures, for the lock's API checks
