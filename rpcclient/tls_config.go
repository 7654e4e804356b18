package rpcclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// tlsConfig builds the client TLS settings shared by both transports:
// TLS 1.2 minimum, optional custom root CA (file path or inline PEM), and
// verification switched off when TLSVerify is false.
func (o Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: !o.TLSVerify, //nolint:gosec // explicit rpc_tls_verify=false
	}
	if o.TLSRootCA == "" {
		return cfg, nil
	}
	pem, err := loadPEM(o.TLSRootCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("rpc_tls_root_ca: no valid PEM certificates found")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// loadPEM treats a value holding a PEM header as inline PEM, anything else as
// a file path.
func loadPEM(value string) ([]byte, error) {
	if strings.Contains(value, "-----BEGIN") {
		return []byte(value), nil
	}
	data, err := os.ReadFile(value)
	if err != nil {
		return nil, fmt.Errorf("rpc_tls_root_ca: %w", err)
	}
	return data, nil
}
