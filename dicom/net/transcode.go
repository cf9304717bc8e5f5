package net

import (
	"yigong/dicom/codec"
	"yigong/dicom/uid"
)

// storeSyntaxes lists the transfer syntaxes to propose for sending an
// instance stored in ts: ts first, then the native syntaxes it converts
// to without loss (PS3.5 §10), so a peer that takes only Explicit VR
// Little Endian still gets RLE- or JPEG-stored instances.
func storeSyntaxes(ts string) []string {
	out := []string{ts}
	for _, alt := range []string{uid.ExplicitVRLittleEndian, uid.ImplicitVRLittleEndian} {
		if alt != ts && codec.CanTranscode(ts, alt) {
			out = append(out, alt)
		}
	}
	return out
}

// sendContext picks the accepted context to send inst on among those ok
// allows: one in its stored syntax, else the first (in storeSyntaxes
// order) the instance converts to without loss. Nil when none fits.
func (a *association) sendContext(inst Instance, ok func(*PresentationContext) bool) *PresentationContext {
	for _, ts := range storeSyntaxes(inst.TransferSyntax) {
		var best *PresentationContext
		for _, pc := range a.contexts {
			if pc.AbstractSyntax == inst.SOPClassUID && pc.TransferSyntax.UID == ts && ok(pc) && (best == nil || pc.ID < best.ID) {
				best = pc
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// convert rewrites an instance's data set from its stored syntax to the
// context's.
func convert(data []byte, inst Instance, pc *PresentationContext) ([]byte, error) {
	if pc.TransferSyntax.UID == inst.TransferSyntax {
		return data, nil
	}
	return codec.TranscodeDataSet(data, inst.TransferSyntax, pc.TransferSyntax.UID)
}
