import subprocess
import pytest
from tests.config.servers import gunicorn
from tests.workers.worker import worker_environment
from tests.factories import UserFactory, MembershipFactory, CaseFactory, make_incident
from tests.tokens import token_for
from evidence.models import Role

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["UA-2022-BUCHA"])
def test_swagger(tmp_path, mode):
    u = UserFactory(username="inv")
    case = CaseFactory(reference="UA-2022-BUCHA")
    MembershipFactory(case=case, user=u, role=Role.INVESTIGATOR)
    make_incident(case)
    with gunicorn(tmp_path / "g.log", environment=worker_environment()) as url:
        r = subprocess.run(["/tmp/g/sel/bin/python", "/tmp/g/swagger.py", url, token_for(u), "/tmp/g", mode], capture_output=True, text=True, timeout=300)
        print(r.stdout, r.stderr[-3000:])
