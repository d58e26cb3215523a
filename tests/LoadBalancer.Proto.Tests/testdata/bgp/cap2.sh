#!/bin/bash
set -x
R=lbgcapR2; N=lbgcapN2; D=/tmp/bgpcap/frr
cleanup(){ for ns in $R $N; do for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p; done; ip netns del $ns 2>/dev/null; done; }
cleanup
rm -rf $D; mkdir -p $D; chown frr:frr $D
ip netns add $R; ip netns add $N
ip link add vr2 type veth peer name vn2
ip link set vr2 netns $R; ip link set vn2 netns $N
ip -n $R addr add 192.0.2.1/24 dev vr2; ip -n $N addr add 192.0.2.11/24 dev vn2
ip -n $R -6 addr add 2001:db8::1/64 dev vr2 nodad; ip -n $N -6 addr add 2001:db8::11/64 dev vn2 nodad
for ns in $R $N; do ip -n $ns link set lo up; done
ip -n $R link set vr2 up; ip -n $N link set vn2 up
cat > $D/bgpd.conf <<B
hostname lab-router
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 neighbor SPEAKERS peer-group
 neighbor SPEAKERS remote-as 64513
 neighbor SPEAKERS timers 3 9
 bgp listen range 192.0.2.0/24 peer-group SPEAKERS
 address-family ipv4 unicast
  maximum-paths 2
 exit-address-family
 address-family ipv6 unicast
  neighbor SPEAKERS activate
 exit-address-family
B
echo "hostname z" > $D/zebra.conf
chown -R frr:frr $D
cat > $D/exabgp.conf <<X
neighbor 192.0.2.1 {
    router-id 192.0.2.11;
    local-address 192.0.2.11;
    local-as 64513;
    peer-as 64512;
    hold-time 9;
    family { ipv4 unicast; ipv6 unicast; }
    static {
        route 203.0.113.10/32 next-hop self community [64513:100] large-community [64513:1:2] extended-community [target:64513:5];
        route 2001:db8:100::10/128 next-hop 2001:db8::11 community [64513:200];
    }
}
X
ip netns exec $R tcpdump -i vr2 -w $D/exabgp-frr.pcap -U tcp port 179 2>/dev/null &
sleep 1
ip netns exec $R /usr/lib/frr/zebra -d -u frr -g frr -f $D/zebra.conf -i $D/zebra.pid -z $D/zserv.api --vty_socket $D
sleep 0.5
ip netns exec $R /usr/lib/frr/bgpd -d -u frr -g frr -f $D/bgpd.conf -i $D/bgpd.pid -z $D/zserv.api --vty_socket $D -l 192.0.2.1
sleep 0.5
ip netns exec $N env exabgp.daemon.user=root exabgp.log.destination=stdout exabgp $D/exabgp.conf > $D/exabgp.log 2>&1 &
sleep 6
ip netns exec $R vtysh --vty_socket $D -c 'show bgp ipv4 unicast json' | head -50
ip netns exec $R vtysh --vty_socket $D -c 'show bgp ipv6 unicast json' | head -50
kill %1; kill %2
sleep 1
cleanup
