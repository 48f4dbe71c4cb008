package encryption

import (
	"fmt"

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
// current key. Payloads it did not seal pass through Decode unchanged, so
// histories written before encryption was turned on still replay.
type Codec struct {
	ring    *Keyring
	project string
}

// NewCodec is a codec for payloads of no particular workflow; the SDK
// binds it to each workflow through WithSerializationContext.
func NewCodec(r *Keyring) *Codec { return &Codec{ring: r} }

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
	return &Codec{ring: c.ring, project: intake.ProjectOfWorkflow(wf)}
}

// aad binds a sealed payload to its project: moving it to another
// project's metadata makes it undecryptable.
func aad(project string) []byte { return []byte("intake/payload/v1|" + project) }

// Encode seals every payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		id, sealed, err := c.ring.seal(plain, aad(c.project))
		if err != nil {
			return nil, err
		}
		md := map[string][]byte{converter.MetadataEncoding: []byte(EncodingEncrypted), MetaKeyID: []byte(id)}
		if c.project != "" {
			md[MetaProject] = []byte(c.project)
		}
		out[i] = &commonpb.Payload{Metadata: md, Data: sealed}
	}
	return out, nil
}

// Decode opens the payloads that Encode sealed and passes the rest.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !Encrypted(p) {
			out[i] = p
			continue
		}
		plain, err := c.ring.open(KeyID(p), p.GetData(), aad(Project(p)))
		if err != nil {
			return nil, err
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("decrypted payload: %w", err)
		}
		out[i] = &dec
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

// Codecs are what the data converter applies, in the SDK's order: on the
// way out compression (when asked for, and only where it helps) runs
// before encryption, which leaves nothing to compress.
func Codecs(r *Keyring, compress bool) []converter.PayloadCodec {
	codecs := []converter.PayloadCodec{NewCodec(r)}
	if compress {
		codecs = append(codecs, converter.NewZlibCodec(converter.ZlibCodecOptions{}))
	}
	return codecs
}

// DataConverter encrypts every payload intake hands to Temporal.
func DataConverter(r *Keyring, compress bool) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codecs(r, compress)...)
}

// FailureConverter moves failure messages and stack traces into the
// encrypted attributes: an error can quote the payload it refused.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Decode undoes what DataConverter's codecs did, as the codec endpoint
// does for the Temporal UI.
func Decode(r *Keyring, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	var err error
	for _, c := range Codecs(r, true) { // zlib decodes only what it encoded
		if payloads, err = c.Decode(payloads); err != nil {
			return nil, err
		}
	}
	return payloads, nil
}

// Encode seals payloads for project ("" for none), as DataConverter does
// for that project's workflows.
func Encode(r *Keyring, project string, compress bool, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	codecs := Codecs(r, compress)
	codecs[0] = &Codec{ring: r, project: project}
	var err error
	for i := len(codecs) - 1; i >= 0; i-- {
		if payloads, err = codecs[i].Encode(payloads); err != nil {
			return nil, err
		}
	}
	return payloads, nil
}
