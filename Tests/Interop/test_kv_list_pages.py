"""LIST of KV v2 folders in pages (`after`, `limit`, as OpenBao added them), against OpenBao for
the semantics and on production storage at size: the stores read a folder's children a page at
a time and skip subfolders in one seek, so paging a big folder never reads the whole table."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from production import ProductionServer

TREE = ["a", "b", "c", "d/x", "d/y", "e", "f/z", "f.g", "f"]
QUERIES = ["", "after=b&limit=2", "after=d/&limit=2", "after=c", "limit=0", "limit=-1", "limit=3", "after=f",
           "after=f/", "after=zz", "after=&limit=1", "limit=abc"]


def listing(server, folder, query, token=None):
    r = server.http("LIST", f"secret/metadata/{folder}?{query}", token=token)
    return r.status_code, (r.json().get("data") or {}).get("keys") if r.status_code == 200 else None


@pytest.fixture(scope="module")
def trees(tresor, openbao):
    for server in (tresor, openbao):
        for key in TREE:
            assert server.http("POST", f"secret/data/pages/{key}", json={"data": {"v": 1}}).status_code == 200
    return tresor, openbao


@pytest.mark.parametrize("query", QUERIES)
def test_pages_match_openbao(trees, query):
    tresor, openbao = trees
    assert listing(tresor, "pages/", query) == listing(openbao, "pages/", query)


def test_list_query_form_pages_too(trees):
    tresor, openbao = trees
    for server in trees:
        r = server.http("GET", "secret/metadata/pages/?list=true&after=b&limit=2")
        assert r.status_code == 200 and r.json()["data"]["keys"] == ["c", "d/"], server.name


@pytest.fixture(params=["sqlite", "postgresql"])
def production(request, tmp_path):
    if request.param == "sqlite":
        storage, cluster = None, None
    else:
        from postgres_cluster import PostgresCluster
        cluster = PostgresCluster()
        storage = f'storage "postgresql" {{\n  connection_url = "{cluster.url}"\n}}'
    server = ProductionServer(tmp_path, storage=storage).start()
    init = server.init(1, 1)
    server.unseal(init["unseal_keys_b64"])
    server.root = init["root_token"]
    assert server.request("POST", "sys/mounts/secret", server.root, json={"type": "kv-v2"}).status_code in (200, 204)
    try:
        yield server
    finally:
        server.stop()
        if cluster:
            cluster.stop()


def test_paging_a_big_folder_on_production_storage(production):
    server = production
    leaves = [f"k{i:05d}" for i in range(2000)]
    folders = [f"sub{i:02d}" for i in range(40)]
    paths = [f"big/{leaf}" for leaf in leaves] + [f"big/{folder}/{j}" for folder in folders for j in range(25)]

    def write(path):
        session = requests.Session()
        r = session.post(f"{server.addr}/v1/secret/data/{path}", headers={"X-Vault-Token": server.root},
                         json={"data": {"p": path}}, timeout=30)
        assert r.status_code == 200, r.text

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, paths))

    expected = sorted(leaves + [f + "/" for f in folders])
    whole = server.request("LIST", "secret/metadata/big/", server.root)
    assert whole.status_code == 200 and whole.json()["data"]["keys"] == expected

    pages, after = [], ""
    while True:
        r = server.request("LIST", f"secret/metadata/big/?limit=300&after={after}", server.root)
        if r.status_code == 404:
            break
        keys = r.json()["data"]["keys"]
        assert 0 < len(keys) <= 300
        pages.append(keys)
        after = keys[-1]
        if len(keys) < 300:
            break
    assert [key for page in pages for key in page] == expected
    assert len(pages) == -(-len(expected) // 300)

    # A subfolder lists its own keys, and paging past a folder skips what is inside it.
    sub = server.request("LIST", "secret/metadata/big/sub07/?after=10&limit=5", server.root).json()["data"]["keys"]
    assert sub == ["11", "12", "13", "14", "15"]
    past = server.request("LIST", "secret/metadata/big/?after=sub07/&limit=2", server.root).json()["data"]["keys"]
    assert past == ["sub08/", "sub09/"]
