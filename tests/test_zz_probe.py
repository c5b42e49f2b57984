from tests.conftest import client_for
from tests.casework.api.support import api

def test_probe(demo):
    from hallplatform.accounts.models import User
    User.objects.create_user(username="norole", password="x-very-long-pass-123")
    for who, host in [(None, "wengyuan"), ("norole", "wengyuan"), ("norole", None), ("wengyuan_window", "wengyuan")]:
        c = client_for(who, host)
        for path in ["/api/schema/", "/api/docs/", "/api/v1/nope/", "/api/nope", "/api/v1/cases", "/api/v1/cases/abc/", "/api/v1/me/"]:
            r = c.get(path)
            print(who, host, path, r.status_code, r.get("Content-Type"), r.content[:80])
        for path in ["/api/v1/me/", "/api/v1/departments/", "/api/v1/cases/1/", "/api/v1/inbox/", "/api/schema/"]:
            r = c.delete(path)
            print("DELETE", who, host, path, r.status_code, r.get("Content-Type"), r.content[:80])
        r = c.put("/api/v1/cases/", {}, content_type="application/json")
        print("PUT", who, host, r.status_code, r.content[:80])
