#!/bin/bash
# Capture real OPEN/UPDATE messages: gobgpd speaker -> bird router, exabgp speaker -> FRR router.
set -x
R=lbgcapR; N=lbgcapN
cleanup(){ for ns in $R $N; do for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p; done; ip netns del $ns 2>/dev/null; done; }
cleanup
ip netns add $R; ip netns add $N
ip link add vr type veth peer name vn
ip link set vr netns $R; ip link set vn netns $N
ip -n $R addr add 192.0.2.1/24 dev vr; ip -n $N addr add 192.0.2.11/24 dev vn
ip -n $R -6 addr add 2001:db8::1/64 dev vr nodad; ip -n $N -6 addr add 2001:db8::11/64 dev vn nodad
for ns in $R $N; do ip -n $ns link set lo up; done
ip -n $R link set vr up; ip -n $N link set vn up
D=/tmp/bgpcap
cat > $D/bird.conf <<B
router id 192.0.2.1;
protocol device { }
protocol bgp node1 { local 192.0.2.1 as 64512; neighbor 192.0.2.11 as 4200000001; passive on; hold time 9; keepalive time 3;
  ipv4 { import all; export none; }; ipv6 { import all; export none; }; }
B
cat > $D/gobgpd.toml <<G
[global.config]
  as = 4200000001
  router-id = "192.0.2.11"
  port = -1
  local-address-list = ["192.0.2.11"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 64512
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
G
ip netns exec $R tcpdump -i vr -w $D/gobgp-bird.pcap -U tcp port 179 2>/dev/null &
sleep 1
ip netns exec $R bird -f -c $D/bird.conf -s $D/bird.ctl &
sleep 0.5
ip netns exec $N gobgpd -f $D/gobgpd.toml --api-hosts 127.0.0.1:50051 > $D/gobgpd.log 2>&1 &
for i in $(seq 1 40); do ip netns exec $R birdc -s $D/bird.ctl show protocols | grep -q Established && break; sleep 0.5; done
ip netns exec $N gobgp global rib add -a ipv4 203.0.113.10/32 nexthop 192.0.2.11 community 64513:100 large-community 64513:1:2 med 10 origin igp
ip netns exec $N gobgp global rib add -a ipv6 2001:db8:100::10/128 nexthop 2001:db8::11 community 64513:200 large-community 64513:3:4
sleep 2
ip netns exec $N gobgp global rib del -a ipv4 203.0.113.10/32
ip netns exec $N gobgp global rib del -a ipv6 2001:db8:100::10/128
sleep 2
ip netns exec $R birdc -s $D/bird.ctl show protocols all node1 | head -30
kill %1 %2 %3; sleep 1
cleanup
