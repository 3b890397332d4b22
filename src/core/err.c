/* err.c: names and messages for the codes of err.h. */
#include "err.h"

const char *synack_err_name(int err) {
  switch (err) {
#define XX(name, msg)                                                          \
  case SYNACK_##name:                                                          \
    return #name;
    SYNACK_ERRNO_MAP(XX)
#undef XX
  default:
    return "EUNKNOWN";
  }
}

const char *synack_strerror(int err) {
  switch (err) {
#define XX(name, msg)                                                          \
  case SYNACK_##name:                                                          \
    return msg;
    SYNACK_ERRNO_MAP(XX)
#undef XX
  default:
    return "unknown error";
  }
}
