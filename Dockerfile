# Tresor's container image: one static binary on an empty base. It serves as the server
# (`tresor server -config=...`), the agent (`tresor agent`, which the injector runs in pods) and
# the injector (`tresor injector`).
#   docker build -t ghcr.io/tresor-project/tresor:0.1.0 .
# Tests/Interop/test_static_binary.py runs the same kind of binary alone under chroot.

FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts ./scripts
# glibc linked statically as well (--static-executable): nothing is loaded at run time.
RUN scripts/build-release.sh --static-executable \
 && cp "$(scripts/build-release.sh --static-executable --show-bin-path)/tresor" /tresor \
 && /tresor version \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/vault /rootfs/vault/data /rootfs/vault/secrets \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && printf 'tresor:x:100:1000:tresor:/home/vault:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'tresor:x:1000:\n' > /rootfs/etc/group \
 && printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf \
 && chown -R 100:1000 /rootfs/home/vault /rootfs/vault \
 && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /tresor /usr/local/bin/tresor
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    HOME=/home/vault
USER 100:1000
EXPOSE 8200 8201 8080
ENTRYPOINT ["/usr/local/bin/tresor"]
CMD ["server", "-dev", "-dev-listen-address=0.0.0.0:8200"]
