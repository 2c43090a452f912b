"""A faithful stand-in for the Kubernetes API server's TokenReview endpoint.

HTTPS with its own CA, service-account JWTs signed RS256 with the cluster's key carrying the real
kubernetes.io claims, and the real TokenReview request/response JSON. Service accounts can be
deleted, after which their tokens no longer review as authenticated, as on a real cluster.
"""
import base64
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://kubernetes.default.svc.cluster.local"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KubernetesDouble:
    def __init__(self, tls):
        """tls: (cert, key, ca) files for the API server's HTTPS listener."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.accounts = {}  # (namespace, name) -> uid
        self.reviews = []
        self.ca_pem = Path(tls[2]).read_text()
        double = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as a real API server offers; every reply has a Content-Length. Replies
            # leave in one segment with Nagle off, as Go's server sends them: headers and body in
            # separate small writes would stall each reply on the client's delayed ACK.
            protocol_version = "HTTP/1.1"
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                # Read the whole body first, so an early refusal leaves the connection usable.
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/apis/authentication.k8s.io/v1/tokenreviews":
                    return self.reply(404, {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404})
                caller = self.headers.get("Authorization", "")
                if not caller.startswith("Bearer ") or double.authenticate(caller[7:]) is None:
                    return self.reply(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                            "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
                review = json.loads(body)
                double.reviews.append(review)
                # The URL names the kind; clients may leave apiVersion and kind out, as the API server allows.
                if review.get("kind", "TokenReview") != "TokenReview" or "spec" not in review:
                    return self.reply(400, {"kind": "Status", "status": "Failure", "reason": "BadRequest", "code": 400})
                spec = review["spec"]
                user = double.authenticate(spec["token"], spec.get("audiences"))
                status = {"authenticated": False, "error": "[invalid bearer token, service account token has been invalidated]"}
                if user:
                    namespace, name, uid = user
                    status = {"authenticated": True, "audiences": spec.get("audiences") or [ISSUER],
                              "user": {"username": f"system:serviceaccount:{namespace}:{name}", "uid": uid,
                                       "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"],
                                       "extra": {"authentication.kubernetes.io/pod-name": [f"{name}-pod"]}}}
                self.reply(201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                                 "metadata": {"creationTimestamp": None}, "spec": spec, "status": status})

            def reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[0], tls[1])
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()

    def create_account(self, namespace, name):
        self.accounts[(namespace, name)] = str(uuid.uuid4())

    def delete_account(self, namespace, name):
        self.accounts.pop((namespace, name), None)

    def token(self, namespace, name, lifetime=3600, audience=ISSUER, key=None):
        """A projected service-account token, as the kubelet mounts it."""
        uid = self.accounts.get((namespace, name), str(uuid.uuid4()))
        now = int(time.time())
        claims = {"aud": [audience], "exp": now + lifetime, "iat": now - 5, "nbf": now - 5, "iss": ISSUER,
                  "sub": f"system:serviceaccount:{namespace}:{name}",
                  "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid},
                                    "pod": {"name": f"{name}-pod", "uid": str(uuid.uuid4())}}}
        header = {"alg": "RS256", "kid": "test-key", "typ": "JWT"}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = (key or self.key).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def authenticate(self, token, audiences=None):
        try:
            head, body, signature = token.split(".")
            self.key.public_key().verify(b64url_decode(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
            claims = json.loads(b64url_decode(body))
        except (ValueError, InvalidSignature):
            return None
        if claims.get("exp", 0) < time.time():
            return None
        if audiences and not set(audiences) & set(claims.get("aud", [])):
            return None
        info = claims.get("kubernetes.io", {})
        key = (info.get("namespace"), info.get("serviceaccount", {}).get("name"))
        uid = self.accounts.get(key)
        if uid is None or uid != info.get("serviceaccount", {}).get("uid"):
            return None
        return key[0], key[1], uid

    def public_key_pem(self):
        return self.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
