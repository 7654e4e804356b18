package encoders

// Msgpack type codes. github.com/vmihailenco/msgpack/v5/msgpcode has the same
// values as package variables; constants let the compiler build jump tables
// (msgpack_test.go checks that both agree).
const (
	mpPosFixNumHigh = 0x7f
	mpFixMapLow     = 0x80
	mpFixMapHigh    = 0x8f
	mpFixArrayLow   = 0x90
	mpFixArrayHigh  = 0x9f
	mpFixStrLow     = 0xa0
	mpFixStrHigh    = 0xbf
	mpNil           = 0xc0
	mpFalse         = 0xc2
	mpTrue          = 0xc3
	mpBin8          = 0xc4
	mpBin16         = 0xc5
	mpBin32         = 0xc6
	mpExt8          = 0xc7
	mpExt16         = 0xc8
	mpExt32         = 0xc9
	mpFloat         = 0xca
	mpDouble        = 0xcb
	mpUint8         = 0xcc
	mpUint16        = 0xcd
	mpUint32        = 0xce
	mpUint64        = 0xcf
	mpInt8          = 0xd0
	mpInt16         = 0xd1
	mpInt32         = 0xd2
	mpInt64         = 0xd3
	mpFixExt1       = 0xd4
	mpFixExt16      = 0xd8
	mpStr8          = 0xd9
	mpStr16         = 0xda
	mpStr32         = 0xdb
	mpArray16       = 0xdc
	mpArray32       = 0xdd
	mpMap16         = 0xde
	mpMap32         = 0xdf
	mpNegFixNumLow  = 0xe0
)
