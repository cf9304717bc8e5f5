// Command gendict generates the DICOM data dictionary (PS3.6 §6, §7, §8) and
// the UID dictionary (PS3.6 Annex A) as compact, read-only Go tables.
//
// Inputs are needed only at generation time:
//
//	-dict  dcmtk's dicom.dic (Debian package libdcmtk17: /usr/share/libdcmtk17/dicom.dic)
//	-uids  pydicom's _uid_dict.py (Debian package python3-pydicom)
//
// Output is sorted and carries no timestamps, so a rerun on the same inputs
// is byte-for-byte identical.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func main() {
	dict := flag.String("dict", "", "path of dcmtk's dicom.dic (default: first /usr/share/libdcmtk*/dicom.dic)")
	out := flag.String("out", "", "output Go file for the data dictionary")
	uids := flag.String("uids", "", "path of pydicom's _uid_dict.py (default: /usr/lib/python3/dist-packages/pydicom/_uid_dict.py)")
	uidOut := flag.String("uidout", "", "output Go file for the UID dictionary")
	flag.Parse()
	if err := run(*dict, *out, *uids, *uidOut); err != nil {
		fmt.Fprintln(os.Stderr, "gendict:", err)
		os.Exit(1)
	}
}

func run(dict, out, uids, uidOut string) error {
	if out == "" && uidOut == "" {
		return errors.New("nothing to do: give -out and/or -uidout")
	}
	if out != "" {
		if dict == "" {
			m, _ := filepath.Glob("/usr/share/libdcmtk*/dicom.dic")
			if len(m) == 0 {
				return errors.New("no -dict given and no /usr/share/libdcmtk*/dicom.dic (apt-get install libdcmtk17)")
			}
			sort.Strings(m)
			dict = m[len(m)-1]
		}
		src, err := os.ReadFile(dict)
		if err != nil {
			return err
		}
		code, err := genDict(src)
		if err != nil {
			return fmt.Errorf("%s: %w", dict, err)
		}
		if err := os.WriteFile(out, code, 0o644); err != nil {
			return err
		}
	}
	if uidOut != "" {
		if uids == "" {
			uids = "/usr/lib/python3/dist-packages/pydicom/_uid_dict.py"
		}
		src, err := os.ReadFile(uids)
		if err != nil {
			return err
		}
		code, err := genUIDs(src)
		if err != nil {
			return fmt.Errorf("%s: %w", uids, err)
		}
		if err := os.WriteFile(uidOut, code, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type entry struct {
	group, elem         uint16
	groupMask, elemMask uint16 // bits that vary in a repeating-group tag
	vrs                 []string
	vm, keyword         string
	retired             bool
}

var vrMap = map[string][]string{
	"xs": {"US", "SS"},
	"ox": {"OB", "OW"},
	"px": {"OB", "OW"},
	"lt": {"OW", "US", "SS"},
	"up": {"UL"},
	"na": nil,
}

// parseRange parses "6000-60FF", "0009-o-FFFF" or "0010"; it returns the
// base value and a mask of the varying bits, and false for ranges that are
// not a clean mask (private/illegal/generic pseudo entries).
func parseRange(s string) (base, mask uint16, ok bool) {
	parts := strings.Split(s, "-")
	switch len(parts) {
	case 1:
		v, err := strconv.ParseUint(s, 16, 16)
		return uint16(v), 0, err == nil
	case 2:
		lo, err1 := strconv.ParseUint(parts[0], 16, 16)
		hi, err2 := strconv.ParseUint(parts[1], 16, 16)
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		m := uint16(lo ^ hi)
		// even numbers only: the lowest bit stays fixed (0).
		m &^= 1
		if uint16(lo)&m != 0 {
			return 0, 0, false
		}
		return uint16(lo), m, true
	}
	return 0, 0, false
}

var tagRE = regexp.MustCompile(`^\(([0-9A-Fa-f\-ou]+),([0-9A-Fa-f\-ou]+)\)$`)

func genDict(src []byte) ([]byte, error) {
	var entries []entry
	var srcVersion string
	sc := bufio.NewScanner(bytes.NewReader(src))
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		if strings.HasPrefix(l, "# Generated automatically from") {
			srcVersion = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, "# Generated automatically from")), ".") + ", dcmtk dicom.dic"
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		var fields []string
		for _, x := range f {
			if x != "" {
				fields = append(fields, x)
			}
		}
		if len(fields) != 5 {
			return nil, fmt.Errorf("line %d: want 5 tab-separated fields, got %d", line, len(fields))
		}
		m := tagRE.FindStringSubmatch(fields[0])
		if m == nil {
			return nil, fmt.Errorf("line %d: bad tag %q", line, fields[0])
		}
		switch fields[4] {
		case "PRIVATE", "ILLEGAL", "GENERIC":
			continue // handled by rules in the lookup code
		}
		g, gm, ok1 := parseRange(m[1])
		e, em, ok2 := parseRange(m[2])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("line %d: unsupported range %q", line, fields[0])
		}
		vrs, special := vrMap[fields[1]]
		if !special {
			vrs = []string{fields[1]}
		}
		kw := fields[2]
		retired := strings.HasSuffix(fields[4], "/retired")
		kw = strings.TrimPrefix(kw, "RETIRED_")
		entries = append(entries, entry{g, e, gm, em, vrs, fields[3], kw, retired})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.group != b.group {
			return a.group < b.group
		}
		return a.elem < b.elem
	})
	// Later entries override earlier ones (dcmtk semantics); after the stable
	// order above, drop exact duplicates keeping the last read.
	var plain, repeating []entry
	for i, e := range entries {
		if i+1 < len(entries) && entries[i+1].group == e.group && entries[i+1].elem == e.elem {
			continue
		}
		if e.groupMask != 0 || e.elemMask != 0 {
			repeating = append(repeating, e)
		} else {
			plain = append(plain, e)
		}
	}
	var b bytes.Buffer
	sum := sha256.Sum256(src)
	fmt.Fprintf(&b, "// Code generated by dicom/internal/gendict from dcmtk's dicom.dic. DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Source: %s (sha256 %x).\n\n", srcVersion, sum[:8])
	b.WriteString("package dicom\n\n")
	fmt.Fprintf(&b, "// dictSource names the edition of PS3.6 the dictionary was generated from.\nconst dictSource = %q\n\n", srcVersion)
	b.WriteString("// dictEntries is sorted by tag.\nvar dictEntries = [...]DictEntry{\n")
	kwIdx := make([]int, 0, len(plain))
	for i, e := range plain {
		fmt.Fprintf(&b, "{0x%04X%04X, %s, %q, %q, %v},\n", e.group, e.elem, vrsExpr(e.vrs), e.vm, e.keyword, e.retired)
		kwIdx = append(kwIdx, i)
	}
	b.WriteString("}\n\n")
	b.WriteString("// dictRepeating holds repeating-group entries such as (60xx,3000); Mask has the bits that vary.\n")
	b.WriteString("var dictRepeating = [...]repeatingEntry{\n")
	for _, e := range repeating {
		fmt.Fprintf(&b, "{DictEntry{0x%04X%04X, %s, %q, %q, %v}, 0x%04X%04X},\n", e.group, e.elem, vrsExpr(e.vrs), e.vm, e.keyword, e.retired, e.groupMask, e.elemMask)
	}
	b.WriteString("}\n\n")
	sort.SliceStable(kwIdx, func(i, j int) bool { return plain[kwIdx[i]].keyword < plain[kwIdx[j]].keyword })
	b.WriteString("// dictByKeyword indexes dictEntries in keyword order.\nvar dictByKeyword = [...]uint16{")
	for i, k := range kwIdx {
		if i%16 == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d,", k)
	}
	b.WriteString("\n}\n")
	return format.Source(b.Bytes())
}

func vrsExpr(vrs []string) string {
	s := make([]string, 3)
	for i := range s {
		if i < len(vrs) {
			s[i] = vrs[i]
		} else {
			s[i] = "0"
		}
	}
	return "[3]VR{" + strings.Join(s, ", ") + "}"
}

var uidRE = regexp.MustCompile(`^\s*'([0-9.]+)': \('((?:[^'\\]|\\.)*)', '([^']*)', '((?:[^'\\]|\\.)*)', '([^']*)', '([^']*)'\)`)

func genUIDs(src []byte) ([]byte, error) {
	type u struct {
		uid, name, typ, keyword string
		retired                 bool
	}
	var list []u
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		m := uidRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		list = append(list, u{m[1], strings.ReplaceAll(m[2], `\'`, `'`), m[3], m[6], m[5] == "Retired"})
	}
	if len(list) < 100 {
		return nil, fmt.Errorf("only %d UIDs found; is this pydicom's _uid_dict.py?", len(list))
	}
	sort.Slice(list, func(i, j int) bool { return list[i].uid < list[j].uid })
	sum := sha256.Sum256(src)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by dicom/internal/gendict from pydicom's _uid_dict.py. DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Source: PS3.6 Annex A as tabulated by pydicom 2.3.1 (sha256 %x).\n\n", sum[:8])
	b.WriteString("package uid\n\n")
	b.WriteString("// Well-known UIDs, named by their PS3.6 keyword.\nconst (\n")
	seen := map[string]bool{}
	for _, x := range list {
		if x.keyword == "" || seen[x.keyword] {
			continue
		}
		seen[x.keyword] = true
		fmt.Fprintf(&b, "\t// %s is %s (%s", x.keyword, x.name, x.typ)
		if x.retired {
			b.WriteString(", retired")
		}
		fmt.Fprintf(&b, ").\n\t%s = %q\n", x.keyword, x.uid)
	}
	b.WriteString(")\n\n// table is sorted by UID.\nvar table = [...]Info{\n")
	for _, x := range list {
		fmt.Fprintf(&b, "{%q, %q, %q, %q, %v},\n", x.uid, x.name, x.typ, x.keyword, x.retired)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
