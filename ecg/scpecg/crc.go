package scpecg

// crcTable is the byte-wise table of the CRC below (read-only).
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crcCCITT is the CRC of EN 1064 §5.2: CRC-CCITT, polynomial
// x^16+x^12+x^5+1 (0x1021), initial value 0xFFFF, bits processed most
// significant first, no final XOR.
func crcCCITT(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}
