import struct,sys
def msgs(path):
    d=open(path,'rb').read()
    magic=struct.unpack('<I',d[:4])[0]; le = magic in (0xa1b2c3d4,0xa1b23c4d)
    e='<' if le else '>'
    linktype=struct.unpack(e+'I',d[20:24])[0]
    off=24; streams={}
    while off+16<=len(d):
        ts,tu,incl,orig=struct.unpack(e+'IIII',d[off:off+16]); off+=16; pkt=d[off:off+incl]; off+=incl
        if linktype==1: p=pkt[14:]; et=struct.unpack('>H',pkt[12:14])[0]
        elif linktype==113: p=pkt[16:]; et=struct.unpack('>H',pkt[14:16])[0]
        else: raise Exception(linktype)
        if et==0x0800:
            ihl=(p[0]&15)*4; src=p[12:16]; dst=p[16:20]; tcp=p[ihl:]; tot=struct.unpack('>H',p[2:4])[0]; tcp=p[ihl:tot]
        elif et==0x86dd:
            src=p[8:24]; dst=p[24:40]; plen=struct.unpack('>H',p[4:6])[0]; tcp=p[40:40+plen]
        else: continue
        sp,dp,seq=struct.unpack('>HHI',tcp[:8]); doff=(tcp[12]>>4)*4; pay=tcp[doff:]
        if not pay: continue
        k=(src,sp,dst,dp); s=streams.setdefault(k,{})
        s[seq]=pay
    out=[]
    for k,s in streams.items():
        buf=b''.join(s[x] for x in sorted(s))
        i=0
        while i+19<=len(buf):
            l=struct.unpack('>H',buf[i+16:i+18])[0]; out.append((k[1],buf[i+18],buf[i:i+l])); i+=l
    return out
for sp,t,m in msgs(sys.argv[1]):
    print(sp,t,m.hex())
