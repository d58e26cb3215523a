namespace LoadBalancer.Speaker.Interop;

internal static partial class Interop
{
    /// <summary>Linux constants, each from the header named beside it.</summary>
    internal static class Linux
    {
        // bits/socket.h, linux/socket.h
        public const int AF_NETLINK = 16;
        public const int AF_PACKET = 17;
        public const int SOCK_RAW = 3;
        public const int SOCK_CLOEXEC = 0x80000;
        public const int SOL_SOCKET = 1;
        public const int SO_ATTACH_FILTER = 26;

        // linux/netlink.h, linux/rtnetlink.h
        public const int NETLINK_ROUTE = 0;
        public const int NETLINK_NETFILTER = 12;
        public const ushort NLMSG_ERROR = 2;
        public const ushort NLMSG_DONE = 3;
        public const ushort NLM_F_REQUEST = 0x1;
        public const ushort NLM_F_DUMP = 0x300;
        public const ushort RTM_NEWLINK = 16;
        public const ushort RTM_DELLINK = 17;
        public const ushort RTM_GETLINK = 18;
        public const ushort RTM_NEWADDR = 20;
        public const ushort RTM_GETADDR = 22;
        public const int RTNLGRP_LINK = 1;
        public const int RTNLGRP_IPV6_IFADDR = 9;

        // linux/if_link.h, linux/if_addr.h
        public const ushort IFLA_ADDRESS = 1;
        public const ushort IFLA_IFNAME = 3;
        public const ushort IFLA_MASTER = 10;
        public const ushort IFA_ADDRESS = 1;
        public const byte RT_SCOPE_LINK = 253;

        // linux/if.h
        public const uint IFF_UP = 0x1;
        public const uint IFF_BROADCAST = 0x2;
        public const uint IFF_LOOPBACK = 0x8;
        public const uint IFF_NOARP = 0x80;
        public const uint IFF_SLAVE = 0x800;
        public const uint IFF_LOWER_UP = 0x10000;

        // linux/if_arp.h
        public const ushort ARPHRD_ETHER = 1;

        // linux/if_ether.h
        public const ushort ETH_P_ARP = 0x0806;
        public const ushort ETH_P_IPV6 = 0x86DD;

        // linux/if_packet.h
        public const byte PACKET_OUTGOING = 4;

        // linux/filter.h: ancillary data offsets for classic BPF loads
        public const uint SKF_AD_OFF = unchecked((uint)-0x1000);
        public const uint SKF_AD_PKTTYPE = 4;

        // sched.h
        public const int CLONE_NEWNET = 0x40000000;
    }
}
