package store

import "context"

// RawSecrets are a connector's secret columns as stored.
func (s *Store) RawSecrets(ctx context.Context, id string) (secret, previous string, err error) {
	var c Connector
	err = s.db.WithContext(ctx).Select("secret", "previous_secret").Where("id = ?", id).Take(&c).Error
	return c.Secret, c.PreviousSecret, err
}

// RawBody is a stored body as stored.
func (s *Store) RawBody(ctx context.Context, id string) ([]byte, error) {
	var b Body
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&b).Error
	return b.Data, err
}

// RawChannels are an alert's channels as stored.
func (s *Store) RawChannels(ctx context.Context, id string) (string, error) {
	var a Alert
	err := s.db.WithContext(ctx).Select("channels").Where("id = ?", id).Take(&a).Error
	return a.Channels, err
}
