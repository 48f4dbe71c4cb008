package encryption

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sync"

	"github.com/intakehq/intake"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Payload metadata of an encrypted payload.
const (
	// EncodingEncrypted is the "encoding" of a payload this package sealed.
	EncodingEncrypted = "binary/encrypted"
	// MetaKeyID names the key that sealed it.
	MetaKeyID = "encryption-key-id"
	// MetaProject is the project whose workflow carried it, when known:
	// the codec endpoint lets a project's key decode only its own.
	MetaProject = "intake-project"
)

// Codec seals each payload whole (its metadata and data) with the ring's
// current key, deflating it first when asked to and when that makes it
// smaller. Payloads it did not seal pass through Decode unchanged, so
// histories written before encryption was turned on still replay.
type Codec struct {
	ring     *Keyring
	project  string
	compress bool
}

// MetaCompressed marks a payload deflated before it was sealed.
const MetaCompressed = "encryption-compression"

// maxInflated bounds what a sealed payload inflates to: Temporal refuses
// payloads far smaller, so more is not a payload intake wrote.
const maxInflated = 64 << 20

// NewCodec is a codec for payloads of no particular workflow; the SDK
// binds it to each workflow through WithSerializationContext.
func NewCodec(r *Keyring, compress bool) *Codec { return &Codec{ring: r, compress: compress} }

// WithSerializationContext binds the codec to the project of the workflow
// whose payloads it encodes.
func (c *Codec) WithSerializationContext(ctx converter.SerializationContext) converter.PayloadCodec {
	var wf string
	switch s := ctx.(type) {
	case converter.WorkflowSerializationContext:
		wf = s.WorkflowID
	case converter.ActivitySerializationContext:
		wf = s.WorkflowID
	}
	return &Codec{ring: c.ring, project: intake.ProjectOfWorkflow(wf), compress: c.compress}
}

// aad binds a sealed payload to its project and to whether it was
// deflated: moving it to another project's metadata, or flipping the
// flag, makes it undecryptable.
func aad(project string, compressed bool) []byte {
	flag := "plain"
	if compressed {
		flag = "zlib"
	}
	return []byte("intake/payload/v1|" + flag + "|" + project)
}

// Encode seals every payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		compressed := false
		if c.compress {
			if z := deflate(plain); len(z) < len(plain) {
				plain, compressed = z, true
			}
		}
		id, sealed, err := c.ring.seal(plain, aad(c.project, compressed))
		if err != nil {
			return nil, err
		}
		md := map[string][]byte{converter.MetadataEncoding: []byte(EncodingEncrypted), MetaKeyID: []byte(id)}
		if c.project != "" {
			md[MetaProject] = []byte(c.project)
		}
		if compressed {
			md[MetaCompressed] = []byte("zlib")
		}
		out[i] = &commonpb.Payload{Metadata: md, Data: sealed}
	}
	return out, nil
}

// Decode opens the payloads that Encode sealed and passes the rest, as
// they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !Encrypted(p) {
			out[i] = p
			continue
		}
		compressed := string(p.GetMetadata()[MetaCompressed]) == "zlib"
		plain, err := c.ring.open(KeyID(p), p.GetData(), aad(Project(p), compressed))
		if err != nil {
			return nil, err
		}
		if compressed {
			if plain, err = inflate(plain); err != nil {
				return nil, err
			}
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("decrypted payload: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

// deflaters are reused: a new zlib writer allocates some 800 KB of
// compressor state, which cost more than the compression itself and drove
// the garbage collector on every payload.
var deflaters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w := deflaters.Get().(*zlib.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	deflaters.Put(w)
	return buf.Bytes()
}

var inflaters sync.Pool

func inflate(b []byte) ([]byte, error) {
	var err error
	r, _ := inflaters.Get().(io.ReadCloser)
	if r == nil {
		r, err = zlib.NewReader(bytes.NewReader(b))
	} else {
		err = r.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("inflate payload: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	inflaters.Put(r)
	if err != nil {
		return nil, fmt.Errorf("inflate payload: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("a payload inflates to more than %d MB", maxInflated>>20)
	}
	return out, nil
}

// Encrypted reports whether p was sealed by a Codec.
func Encrypted(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[converter.MetadataEncoding]) == EncodingEncrypted
}

// KeyID is the key that sealed p ("" when p is not encrypted).
func KeyID(p *commonpb.Payload) string { return string(p.GetMetadata()[MetaKeyID]) }

// Project is the project recorded on a sealed p ("" when none is).
func Project(p *commonpb.Payload) string { return string(p.GetMetadata()[MetaProject]) }

// DataConverter encrypts every payload intake hands to Temporal,
// compressing first when compress is set. Either way it reads what was
// compressed before, so the setting can change under running workflows.
func DataConverter(r *Keyring, compress bool) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(r, compress))
}

// FailureConverter moves failure messages and stack traces into the
// encrypted attributes: an error can quote the payload it refused.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Decode opens what DataConverter sealed, as the codec endpoint does for
// the Temporal UI; other payloads come back as they are.
func Decode(r *Keyring, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return NewCodec(r, false).Decode(payloads)
}

// Encode seals payloads for project ("" for none), as DataConverter does
// for that project's workflows.
func Encode(r *Keyring, project string, compress bool, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return (&Codec{ring: r, project: project, compress: compress}).Encode(payloads)
}
