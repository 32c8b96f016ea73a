// The one translation unit that compiles Asio's SSL layer (BOOST_ASIO_SEPARATE_COMPILATION),
// used by the HTTPS listener.
#include <boost/asio/ssl/impl/src.hpp>
