/* Shim: the tfjs-node addon includes "tensorflow/c/eager/c_api.h"; Debut declares what it uses in one header. */
#include "tensorflow/c/debut_tf_c_api.h"
