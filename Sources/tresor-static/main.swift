import TresorCommand

// The same program as `tresor`, linked with glibc statically (see Package.swift): it runs alone in
// an empty directory or a scratch image. glibc 2.34+ has its files and dns name services built in,
// so host names still resolve through /etc/hosts and /etc/resolv.conf.
await Tresor.start()
