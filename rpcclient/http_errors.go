package rpcclient

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strconv"

	"github.com/valyala/fasthttp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxErrorBody caps how much of an error response body goes into the error
// message (and from there into logs).
const maxErrorBody = 512

// httpStatusError maps a non-200 HTTP RPC response to a gRPC status, so the
// client's retry logic treats both transports alike: 401 → Unauthenticated,
// 400/422 → InvalidArgument (with the body), anything else → Unknown (with
// the body).
func httpStatusError(code int, body []byte) error {
	switch code {
	case fasthttp.StatusUnauthorized:
		return status.Error(codes.Unauthenticated, "http returned 401")
	case fasthttp.StatusBadRequest, fasthttp.StatusUnprocessableEntity:
		return status.Error(codes.InvalidArgument, compactBody(code, body))
	default:
		return status.Error(codes.Unknown, compactBody(code, body))
	}
}

// compactBody trims and truncates a body for an error message; an empty body
// is replaced with the HTTP status.
func compactBody(code int, body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "http returned " + strconv.Itoa(code)
	}
	if len(body) > maxErrorBody {
		return string(body[:maxErrorBody]) + "..."
	}
	return string(body)
}

// httpNetworkError maps a failed request: deadline → DeadlineExceeded, TLS
// handshake/verification failure → Unauthenticated, anything else →
// Unavailable (retried).
func httpNetworkError(err error, deadlinePassed bool) error {
	if deadlinePassed || errors.Is(err, fasthttp.ErrTimeout) {
		return status.Error(codes.DeadlineExceeded, "request timeout")
	}
	if isTLSError(err) {
		return status.Error(codes.Unauthenticated, err.Error())
	}
	return status.Error(codes.Unavailable, err.Error())
}

func isTLSError(err error) bool {
	var (
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		unknownAuth x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &recordErr) ||
		errors.As(err, &alertErr) || errors.As(err, &unknownAuth) ||
		errors.As(err, &hostnameErr) || errors.As(err, &invalidCert)
}
