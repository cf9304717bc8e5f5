package dicom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"yigong/dicom"
	"yigong/dicom/charset"
	"yigong/dicom/dimse"
	dnet "yigong/dicom/net"
	"yigong/dicom/part10"
	"yigong/dicom/uid"
	"yigong/fhir/store"
	"yigong/server/blobs"
)

// ErrInvalid reports an instance that cannot be stored as sent (unreadable,
// or lacking its UIDs): a DIMSE 0xC000 or STOW-RS failure reason.
var ErrInvalid = errors.New("dicom: invalid instance")

// Ingested describes a stored (or already held) instance.
type Ingested struct {
	Institution    string
	SOPClassUID    string
	SOPInstanceUID string
	StudyUID       string
	SeriesUID      string
	// Created is false when the instance was already held: an instance
	// sent twice is stored once.
	Created bool
	// BlobKey names the stored Part 10 file in the blob store.
	BlobKey string
}

// Ingest stores one instance received from source (a calling AE title or
// "STOW-RS"): data is the data set without meta group, in syntax ts. It
// returns once blob and index rows are durable.
func (s *Service) Ingest(ctx context.Context, source string, ts uid.TransferSyntax, data []byte) (*Ingested, error) {
	res := s.IngestBatch(ctx, source, []Item{{TransferSyntax: ts, Data: data}})
	return res[0].Ingested, res[0].Err
}

// Item is one instance of an IngestBatch or a Batch.
type Item struct {
	TransferSyntax uid.TransferSyntax
	Data           []byte // data set without meta group
	// Release, when set, is called once Data is no longer used (the
	// instance is parsed and its blob staged, or it failed), so that the
	// caller may reuse the buffer; it may run on another goroutine.
	Release func()
}

// Result is the outcome of one Item.
type Result struct {
	*Ingested
	Err error
}

// pending is an instance parsed, its blob staged (blob) or carried in its
// row (row.Blob, below blobs.SmallMax bytes: see mover.go), waiting for
// the commit. A nil row means already held.
type pending struct {
	in     *Ingested
	row    *store.DICOMInstance
	routes []string
	blob   *blobs.Pending
	synced chan error
}

// IngestBatch stores several instances from one source with one index
// transaction: their blobs are made durable concurrently with it, so the
// batch costs about one commit. Results are in the order of items;
// Success for each needs both its blob and the commit.
func (s *Service) IngestBatch(ctx context.Context, source string, items []Item) []Result {
	if len(items) == 1 { // a C-STORE: prepared inline
		b := &Batch{s: s, ctx: ctx, source: source}
		s.noteIngest()
		p, err := s.prepare(ctx, source, items[0].TransferSyntax, items[0].Data, true)
		b.preps = []prepared{{p: p, err: err}}
		if items[0].Release != nil {
			items[0].Release()
		}
		return b.Wait()
	}
	b := s.NewBatch(ctx, source)
	for _, it := range items {
		b.Add(it)
	}
	return b.Wait()
}

// Batch stores instances from one source as they arrive (the parts of a
// STOW-RS request): each is parsed, checked for a duplicate and written
// to a temporary blob as soon as it is added, a few at a time, while the
// caller reads the next; Wait then makes the blobs durable alongside one
// index commit for all of them. Memory is bounded by the items being
// prepared, not by the whole request. A Batch is used by one goroutine.
type Batch struct {
	s      *Service
	ctx    context.Context
	source string
	sem    chan struct{} // one token per item being prepared
	wg     sync.WaitGroup
	mu     sync.Mutex
	preps  []prepared // in the order added
}

type prepared struct {
	p   *pending
	err error
}

// NewBatch starts a batch of instances from source.
func (s *Service) NewBatch(ctx context.Context, source string) *Batch {
	s.noteIngest()
	return &Batch{s: s, ctx: ctx, source: source, sem: make(chan struct{}, prepareWorkers)}
}

// Add starts preparing it and returns; it waits first while
// prepareWorkers items are being prepared. it.Data must not change until
// it.Release is called (or Wait returns).
func (b *Batch) Add(it Item) {
	b.s.noteIngest()
	b.mu.Lock()
	i := len(b.preps)
	b.preps = append(b.preps, prepared{})
	b.mu.Unlock()
	b.sem <- struct{}{}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		p, err := b.s.prepare(b.ctx, b.source, it.TransferSyntax, it.Data, false)
		if it.Release != nil {
			it.Release()
		}
		b.mu.Lock()
		b.preps[i] = prepared{p: p, err: err}
		b.mu.Unlock()
		<-b.sem
	}()
}

// Wait stores the items added and returns their results in the order
// added, once every stored blob and the index rows are durable.
//
// The blobs' fsyncs start only once all are written: started as each was
// written, they stalled the creation of the remaining temp files (ext4
// journal commits), and a 50-part request took 2-3x longer to prepare.
func (b *Batch) Wait() []Result {
	b.wg.Wait()
	s, ctx := b.s, b.ctx
	defer s.noteIngest()
	res := make([]Result, len(b.preps))
	var ps []*pending
	var idx []int
	for i, pr := range b.preps {
		p, err := pr.p, pr.err
		switch {
		case err != nil:
			res[i].Err = err
		case p.row == nil: // already held
			res[i].Ingested = p.in
		default:
			ps = append(ps, p)
			idx = append(idx, i)
		}
	}
	if len(ps) == 0 {
		return res
	}
	// The sender is gone (a STOW-RS client that hung up mid-body, an
	// association aborted): nothing will be acknowledged, so the staged
	// blobs are dropped rather than left without rows.
	if err := ctx.Err(); err != nil {
		for k, p := range ps {
			p.discard(ctx, s)
			res[idx[k]].Err = fmt.Errorf("dicom: ingest %s: %w", p.in.SOPInstanceUID, err)
		}
		return res
	}
	for _, p := range ps {
		p.synced = make(chan error, 1)
		if p.blob == nil { // carried by the commit
			p.synced <- nil
			continue
		}
		go func() { p.synced <- p.blob.Sync() }()
	}
	// The blobs' fsync, rename and folder fsync run alongside the index
	// commit: both are durable before Success. Should the machine fail
	// between the two, the instance was not acknowledged, and its resend
	// finds the row without its blob and writes the blob again (see
	// prepare).
	err := s.groupCommit(ctx, ps)
	routed := false
	for k, p := range ps {
		i := idx[k]
		serr := <-p.synced
		switch {
		case err != nil:
			res[i].Err = fmt.Errorf("dicom: ingest %s: %w", p.in.SOPInstanceUID, err)
		case serr != nil:
			res[i].Err = fmt.Errorf("dicom: ingest %s: %w", p.in.SOPInstanceUID, serr)
		default:
			p.in.BlobKey = p.row.BlobKey
			res[i].Ingested = p.in
			routed = routed || len(p.routes) > 0
		}
	}
	if err == nil {
		s.queueMoves(ctx, ps)
	}
	if err == nil && s.opts.OnStored != nil {
		for k, p := range ps {
			if r := res[idx[k]]; r.Err == nil && r.Created {
				s.opts.OnStored(ctx, p.in)
			}
		}
	}
	if err == nil {
		s.kick(s.syncKick)
		if routed {
			s.kick(s.routeKick)
		}
	}
	return res
}

// discard drops p's staged blob, if any.
func (p *pending) discard(ctx context.Context, s *Service) {
	if p.blob == nil {
		return
	}
	if err := p.blob.Discard(); err != nil {
		s.log.WarnContext(ctx, "dicom: drop a staged blob", "sop_instance_uid", p.in.SOPInstanceUID, "err", err)
	}
}

// prepareWorkers bounds the items of one batch prepared at once.
const prepareWorkers = 4

// beginIndex begins a store transaction that writes the DICOM index; the
// caller rolls tx back unless it commits.
func (s *Service) beginIndex(ctx context.Context) (store.Tx, store.DICOMIndexTx, error) {
	tx, err := s.opts.Store.Begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	itx, ok := tx.(store.DICOMIndexTx)
	if !ok {
		tx.Rollback(ctx)
		return nil, nil, errors.New("the store's transactions keep no DICOM index")
	}
	return tx, itx, nil
}

func (s *Service) commit(ctx context.Context, ps []*pending) error {
	tx, itx, err := s.beginIndex(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, p := range ps {
		created, err := itx.PutDICOMInstance(ctx, p.row, p.routes)
		if err != nil {
			return err
		}
		p.in.Created = created
	}
	return tx.Commit(ctx)
}

// prepare parses an instance, checks whether it is already held, builds
// its index row and stages its blob; with inline, a blob under
// blobs.SmallMax bytes goes in the row instead (mover.go). A nil row means
// already held.
func (s *Service) prepare(ctx context.Context, source string, ts uid.TransferSyntax, data []byte, inline bool) (*pending, error) {
	ae := s.opts.ae(source)
	opts := &part10.Options{PixelData: part10.DeferPixelData}
	term := ""
	if ae != nil && ae.Charset != "" {
		term = ae.Charset
		cs, err := charset.Parse(strings.Split(term, `\`)...)
		if err == nil {
			opts.Charset = cs
		}
	}
	ds, err := part10.ReadDataset(bytes.NewReader(data), ts, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	in := &Ingested{
		Institution:    s.institutionOf(source),
		SOPClassUID:    ds.Text(dicom.TagSOPClassUID),
		SOPInstanceUID: ds.Text(dicom.TagSOPInstanceUID),
		StudyUID:       ds.Text(dicom.TagStudyInstanceUID),
		SeriesUID:      ds.Text(dicom.TagSeriesInstanceUID),
	}
	if in.SOPClassUID == "" || in.SOPInstanceUID == "" || in.StudyUID == "" || in.SeriesUID == "" {
		return nil, fmt.Errorf("%w: SOP class, SOP instance, study or series UID missing", ErrInvalid)
	}
	// An instance sent twice is stored once. The check (a query on a
	// reader connection) runs while the index headers are encoded: the
	// instance waits for the sum of the two no more.
	type held struct {
		yes bool
		err error
	}
	heldc := make(chan held, 1)
	go func() {
		key, err := s.index.DICOMInstanceBlob(ctx, in.Institution, in.SOPInstanceUID)
		heldc <- held{yes: err == nil && key != "" && s.opts.Blobs.Has(ctx, key), err: err}
	}()
	var hdrErr error
	sub := func(keep func(dicom.Tag) bool) []byte {
		b, err := encodeSubset(ds, keep, term)
		if err != nil && hdrErr == nil {
			hdrErr = err
		}
		return b
	}
	studyH := sub(func(t dicom.Tag) bool { return studyTags[t] || t.Group() == 0x0010 })
	seriesH := sub(func(t dicom.Tag) bool { return seriesTags[t] })
	var bulk []string
	instH := sub(func(t dicom.Tag) bool {
		e, _ := ds.Get(t)
		if isBulk(e) {
			bulk = append(bulk, fmt.Sprintf("%08X:%s", uint32(t), e.VR))
			return false
		}
		return true
	})
	meta, err := metaBytes(in.SOPClassUID, in.SOPInstanceUID, ts.UID, source)
	h := <-heldc
	switch {
	case h.err != nil:
		return nil, fmt.Errorf("dicom: ingest %s: %w", in.SOPInstanceUID, h.err)
	case h.yes:
		return &pending{in: in}, nil
	case hdrErr != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalid, hdrErr)
	case err != nil:
		return nil, fmt.Errorf("dicom: ingest %s: %w", in.SOPInstanceUID, err)
	}
	var blob *blobs.Pending
	var carried []byte
	var key string
	size := int64(len(meta) + len(data))
	if inline && size < blobs.SmallMax {
		carried = make([]byte, 0, size)
		carried = append(append(carried, meta...), data...)
		key = blobs.Key(carried)
	} else {
		blob, err = s.opts.Blobs.Stage(ctx, meta, data)
		if err != nil {
			return nil, fmt.Errorf("dicom: ingest %s: %w", in.SOPInstanceUID, err)
		}
		key = blob.Key
	}
	num, _ := ds.Int(dicom.TagInstanceNumber)
	row := &store.DICOMInstance{
		Institution:       in.Institution,
		PatientID:         ds.Text(dicom.TagPatientID),
		IssuerOfPatientID: ds.Text(tagIssuerOfPatientID),
		StudyUID:          in.StudyUID,
		SeriesUID:         in.SeriesUID,
		SOPInstanceUID:    in.SOPInstanceUID,
		SOPClassUID:       in.SOPClassUID,
		TransferSyntax:    ts.UID,
		AccessionNumber:   ds.Text(dicom.TagAccessionNumber),
		StudyDate:         cleanDate(ds.Text(dicom.TagStudyDate)),
		Modality:          ds.Text(dicom.TagModality),
		InstanceNumber:    num,
		BlobKey:           key,
		Size:              size,
		Blob:              carried,
		StudyHeader:       studyH,
		SeriesHeader:      seriesH,
		Header:            instH,
		BulkTags:          strings.Join(bulk, " "),
		Received:          time.Now(),
		Source:            source,
	}
	return &pending{in: in, row: row, routes: s.routesFor(source, row), blob: blob}, nil
}

// handleStore answers C-STORE.
func (s *Service) handleStore(ctx context.Context, req *dnet.StoreRequest) dimse.Status {
	aet := strings.TrimSpace(req.CallingAE)
	in, err := s.Ingest(ctx, aet, req.TransferSyntax, req.Data)
	if err != nil {
		s.log.Warn("dicom c-store failed", "aet", aet, "sop_instance_uid", req.SOPInstanceUID, "err", err)
		if errors.Is(err, ErrInvalid) {
			return dimse.CannotUnderstand
		}
		return dimse.OutOfResources
	}
	s.log.Debug("dicom c-store", "aet", aet, "sop_instance_uid", in.SOPInstanceUID,
		"study_instance_uid", in.StudyUID, "created", in.Created)
	return dimse.Success
}

// routesFor returns the destinations the routing rules send row to.
func (s *Service) routesFor(source string, row *store.DICOMInstance) []string {
	var out []string
	for _, r := range s.opts.Routes {
		if r.CallingAE != "" && r.CallingAE != source {
			continue
		}
		if r.Modality != "" && !strings.EqualFold(r.Modality, row.Modality) {
			continue
		}
		if r.Institution != "" && r.Institution != row.Institution {
			continue
		}
		if r.Destination == source || slices.Contains(out, r.Destination) {
			continue // never bounce an instance back to its sender
		}
		out = append(out, r.Destination)
	}
	return out
}

func isBulk(e *dicom.Element) bool {
	if e == nil {
		return false
	}
	if e.Bulk != nil || e.Fragments != nil {
		return true
	}
	switch e.VR {
	case dicom.OB, dicom.OW, dicom.OF, dicom.OD, dicom.OL, dicom.OV, dicom.UN:
		return len(e.Raw) > bulkThreshold
	}
	return false
}

// encodeSubset writes the elements of ds that keep selects as an explicit
// VR little endian data set, declaring term as its character set when ds
// declares none.
func encodeSubset(ds *dicom.Dataset, keep func(dicom.Tag) bool, term string) ([]byte, error) {
	out := dicom.New()
	for _, e := range ds.Elements() {
		if keep(e.Tag) {
			out.Set(e)
		}
	}
	if term != "" && !ds.Has(dicom.TagSpecificCharacterSet) {
		if err := out.SetStrings(dicom.TagSpecificCharacterSet, dicom.CS, strings.Split(term, `\`)...); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := part10.WriteDataset(&buf, out, uid.ExplicitLE()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeHeader reads a header written by encodeSubset.
func decodeHeader(b []byte) (*dicom.Dataset, error) {
	if len(b) == 0 {
		return dicom.New(), nil
	}
	ds, err := part10.ReadDataset(bytes.NewReader(b), uid.ExplicitLE(), nil)
	if err != nil {
		return nil, fmt.Errorf("dicom: read index header: %w", err)
	}
	return ds, nil
}

// metaBytes returns preamble, "DICM" and the meta group of a stored file.
func metaBytes(class, inst, ts, source string) ([]byte, error) {
	meta := dicom.New()
	if err := meta.SetStrings(dicom.TagMediaStorageSOPClassUID, dicom.UI, class); err != nil {
		return nil, err
	}
	if err := meta.SetStrings(dicom.TagMediaStorageSOPInstanceUID, dicom.UI, inst); err != nil {
		return nil, err
	}
	if source != "" && len(source) <= 16 && !strings.ContainsAny(source, `\`) {
		if err := meta.SetStrings(dicom.NewTag(0x0002, 0x0016), dicom.AE, source); err != nil {
			return nil, err
		}
	}
	meta, err := part10.BuildMeta(meta, dicom.New(), ts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := part10.WriteHeader(&buf, nil, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func cleanDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 8 {
		return ""
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return s
}
