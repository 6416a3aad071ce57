/* Shim: the tfjs-node addon includes "tensorflow/core/platform/ctstring_internal.h"; Debut declares what it uses in one header. */
#include "tensorflow/c/debut_tf_c_api.h"
