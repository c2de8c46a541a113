package network

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Route flags from linux/route.h.
const (
	rtfUp     = 0x0001
	rtfReject = 0x0200
)

// route is one line of the kernel's main route tables.
type route struct {
	dst   netip.Prefix
	flags uint64
	iface string
}

// usable reports whether r carries traffic out of the machine: it is up,
// not a reject route, and not through loopback.
func (r route) usable() bool {
	return r.flags&rtfUp != 0 && r.flags&rtfReject == 0 && r.iface != "lo"
}

type routes []route

// hasDefault reports whether a usable route leads everywhere.
func (rs routes) hasDefault() bool {
	for _, r := range rs {
		if r.usable() && r.dst.Bits() == 0 {
			return true
		}
	}
	return false
}

// leadsTo reports whether a usable route other than a default one
// leads to ip.
func (rs routes) leadsTo(ip netip.Addr) bool {
	for _, r := range rs {
		if r.usable() && r.dst.Bits() > 0 && r.dst.Contains(ip) {
			return true
		}
	}
	return false
}

// readRoutes reads /proc/net/route and /proc/net/ipv6_route in dir (the
// latter is absent when IPv6 is turned off).
func readRoutes(dir string) (routes, error) {
	v4, err := scanRoutes(filepath.Join(dir, "route"), route4)
	if err != nil {
		return nil, err
	}
	v6, err := scanRoutes(filepath.Join(dir, "ipv6_route"), route6)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return append(v4, v6...), nil
}

// route4 parses a line of /proc/net/route: Iface Destination Gateway
// Flags RefCnt Use Metric Mask ..., the addresses as the kernel holds
// them (network order) printed as a number of the machine's order.
func route4(f []string) (route, bool) {
	if len(f) < 8 {
		return route{}, false // the header has 11 fields, but no hex
	}
	dst, err1 := strconv.ParseUint(f[1], 16, 32)
	mask, err2 := strconv.ParseUint(f[7], 16, 32)
	flags, err3 := strconv.ParseUint(f[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return route{}, false
	}
	var a [4]byte
	binary.NativeEndian.PutUint32(a[:], uint32(dst))
	ones := bits.OnesCount32(uint32(mask))
	return route{dst: netip.PrefixFrom(netip.AddrFrom4(a), ones), flags: flags, iface: f[0]}, true
}

// route6 parses a line of /proc/net/ipv6_route: dest dest_len src
// src_len next_hop metric refcnt use flags iface, in hex.
func route6(f []string) (route, bool) {
	if len(f) < 10 {
		return route{}, false
	}
	b, err1 := hex.DecodeString(f[0])
	n, err2 := strconv.ParseUint(f[1], 16, 8)
	flags, err3 := strconv.ParseUint(f[8], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || len(b) != 16 {
		return route{}, false
	}
	return route{dst: netip.PrefixFrom(netip.AddrFrom16([16]byte(b)), int(n)), flags: flags, iface: f[9]}, true
}

// scanRoutes parses each line of file that parse accepts.
func scanRoutes(file string, parse func(fields []string) (route, bool)) (rs routes, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if r, ok := parse(strings.Fields(sc.Text())); ok {
			rs = append(rs, r)
		}
	}
	return rs, sc.Err()
}
