/* Guest networking from the kernel command line (pyro.net=, pyro.host=). */
#ifndef PYRO_NET_H
#define PYRO_NET_H

/*
 * Configure the first virtio-net interface from `spec` ("<ip>/<prefix>[,<gateway>[,<dns>]]",
 * IPv4): address and netmask, up, default route via the gateway; write /etc/resolv.conf
 * (nameserver <dns>) and the agent's lines in /etc/hosts (the hostname on 127.0.1.1, and
 * host.pyro.internal on host_ip when not empty). Everything is logged; returns 0 only if
 * the interface got its address, came up and (if given) got its route.
 */
int net_configure(const char *spec, const char *host_ip, const char *hostname);

#endif
