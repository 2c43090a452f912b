"""The `bao pki` commands that drive PKI mounts, run against Tresor and OpenBao alike."""
import json
import uuid


def test_bao_pki_issue_list_intermediates_verify_sign(any_server):
    suffix = uuid.uuid4().hex[:6]
    root, inter = "pki-root-" + suffix, "pki-int-" + suffix
    assert any_server.bao("secrets", "enable", f"-path={root}", "pki").returncode == 0
    assert any_server.bao("secrets", "enable", f"-path={inter}", "pki").returncode == 0
    generated = any_server.bao("write", f"{root}/root/generate/internal", "common_name=CLI Root", "issuer_name=root-2024")
    assert generated.returncode == 0, generated.stderr

    issued = any_server.bao("pki", "issue", "-format=json", "-issuer_name=newint", f"{root}/issuer/root-2024", inter,
                            "common_name=CLI Intermediate", "key_type=ec")
    assert issued.returncode == 0, issued.stderr
    data = json.loads(issued.stdout)["data"]
    assert data["issuer_name"] == "newint" and data["key_id"] and len(data["ca_chain"]) == 2

    verified = any_server.bao("pki", "verify-sign", "-format=json", f"{root}/issuer/default", f"{inter}/issuer/newint")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout) == {"key_id_match": True, "path_match": True, "signature_match": True, "subject_match": True,
                                           "trust_match": True}
    # The other way round nothing matches.
    backwards = json.loads(any_server.bao("pki", "verify-sign", "-format=json", f"{inter}/issuer/newint", f"{root}/issuer/default").stdout)
    assert backwards["signature_match"] is False and backwards["subject_match"] is False

    listed = any_server.bao("pki", "list-intermediates", "-format=json", f"{root}/issuer/default", inter)
    assert listed.returncode == 0, listed.stderr
    matches = json.loads(listed.stdout)
    assert f"{inter}/issuer/{data['issuer_id']}" in matches and matches[f"{inter}/issuer/{data['issuer_id']}"] is True

    missing = any_server.bao("pki", "verify-sign", f"{root}/issuer/default", f"{inter}/issuer/nope")
    assert missing.returncode != 0 and "unable to find PKI issuer for reference: nope" in missing.stderr
