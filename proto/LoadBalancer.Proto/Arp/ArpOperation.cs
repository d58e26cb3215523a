namespace LoadBalancer.Proto.Arp;

/// <summary>ARP opcodes (RFC 826; IANA "Operation Codes").</summary>
public enum ArpOperation : ushort
{
    Request = 1,
    Reply = 2,
}
