package servertest

// DICOMAddr returns host:port of the hub's DIMSE listener ("" when DICOM
// is not running).
func (h *Hub) DICOMAddr() string {
	svc := h.DICOM()
	if svc == nil || svc.Addr() == nil {
		return ""
	}
	return svc.Addr().String()
}
