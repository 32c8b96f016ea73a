// Placeholder until the loader lands: see conf/loader.hpp.
#include "conf/loader.hpp"
