/*
 * Debut's minimal TensorFlow C API header for building @tensorflow/tfjs-node's addon
 * (binding/ sources of tfjs-node 4.22.0) against the TensorFlow 2.16.2 shared libraries shipped in
 * Maven Central's org.tensorflow:tensorflow-core-native:1.0.0:linux-x86_64 jar
 * (libtensorflow_cc.so.2 + libtensorflow_framework.so.2), which carries no headers.
 *
 * Written for this project from the declarations documented in that artifact's -sources jar
 * (org/tensorflow/internal/c_api/global/tensorflow.java, the JavaCPP binding that quotes each C
 * declaration and enum value, plus TF_Buffer.java / TF_Output.java / TF_TString*.java for the
 * struct fields). It declares only what the addon uses; every function here is an exported
 * symbol of those libraries (scripts/build-tfjs-native.sh checks that with readelf before
 * compiling), except the TF_TString_* helpers at the end, which upstream are inline functions
 * in ctstring_internal.h: here they forward to the exported TF_String* functions
 * (tensorflow/c/tf_tstring.h), so the string layout logic stays inside TensorFlow itself.
 *
 * The tensorflow/... headers next to this one are one-line shims so the addon's #include lines
 * resolve to this file.
 */
#ifndef DEBUT_TF_C_API_H_
#define DEBUT_TF_C_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- tf_datatype.h */
/* Values identical to types.proto (tensorflow.java: "enum TF_DataType"). */
typedef enum TF_DataType {
  TF_FLOAT = 1,
  TF_DOUBLE = 2,
  TF_INT32 = 3,
  TF_UINT8 = 4,
  TF_INT16 = 5,
  TF_INT8 = 6,
  TF_STRING = 7,
  TF_COMPLEX64 = 8,
  TF_INT64 = 9,
  TF_BOOL = 10,
  TF_QINT8 = 11,
  TF_QUINT8 = 12,
  TF_QINT32 = 13,
  TF_BFLOAT16 = 14,
  TF_QINT16 = 15,
  TF_QUINT16 = 16,
  TF_UINT16 = 17,
  TF_COMPLEX128 = 18,
  TF_HALF = 19,
  TF_RESOURCE = 20,
  TF_VARIANT = 21,
  TF_UINT32 = 22,
  TF_UINT64 = 23,
  TF_FLOAT8_E5M2 = 24,
  TF_FLOAT8_E4M3FN = 25,
  TF_INT4 = 29,
  TF_UINT4 = 30
} TF_DataType;

size_t TF_DataTypeSize(TF_DataType dt);

/* ---------------------------------------------------------------- tf_status.h */
/* Values identical to error_codes.proto (TF_Code = TSL_Code in 2.16). */
typedef enum TF_Code {
  TF_OK = 0,
  TF_CANCELLED = 1,
  TF_UNKNOWN = 2,
  TF_INVALID_ARGUMENT = 3,
  TF_DEADLINE_EXCEEDED = 4,
  TF_NOT_FOUND = 5,
  TF_ALREADY_EXISTS = 6,
  TF_PERMISSION_DENIED = 7,
  TF_RESOURCE_EXHAUSTED = 8,
  TF_FAILED_PRECONDITION = 9,
  TF_ABORTED = 10,
  TF_OUT_OF_RANGE = 11,
  TF_UNIMPLEMENTED = 12,
  TF_INTERNAL = 13,
  TF_UNAVAILABLE = 14,
  TF_DATA_LOSS = 15,
  TF_UNAUTHENTICATED = 16
} TF_Code;

typedef struct TF_Status TF_Status;

TF_Status* TF_NewStatus(void);
void TF_DeleteStatus(TF_Status* s);
TF_Code TF_GetCode(const TF_Status* s);
const char* TF_Message(const TF_Status* s);

/* ---------------------------------------------------------------- tf_attrtype.h */
typedef enum TF_AttrType {
  TF_ATTR_STRING = 0,
  TF_ATTR_INT = 1,
  TF_ATTR_FLOAT = 2,
  TF_ATTR_BOOL = 3,
  TF_ATTR_TYPE = 4,
  TF_ATTR_SHAPE = 5,
  TF_ATTR_TENSOR = 6,
  TF_ATTR_PLACEHOLDER = 7,
  TF_ATTR_FUNC = 8
} TF_AttrType;

/* ---------------------------------------------------------------- tf_tensor.h */
typedef struct TF_Tensor TF_Tensor;

TF_Tensor* TF_NewTensor(TF_DataType dtype, const int64_t* dims, int num_dims, void* data,
                        size_t len, void (*deallocator)(void* data, size_t len, void* arg),
                        void* deallocator_arg);
TF_Tensor* TF_AllocateTensor(TF_DataType dtype, const int64_t* dims, int num_dims, size_t len);
void TF_DeleteTensor(TF_Tensor* t);
TF_DataType TF_TensorType(const TF_Tensor* t);
int TF_NumDims(const TF_Tensor* t);
int64_t TF_Dim(const TF_Tensor* tensor, int dim_index);
size_t TF_TensorByteSize(const TF_Tensor* t);
void* TF_TensorData(const TF_Tensor* t);
int64_t TF_TensorElementCount(const TF_Tensor* tensor);

/* ---------------------------------------------------------------- c_api.h */
const char* TF_Version(void);

typedef struct TF_Buffer {
  const void* data;
  size_t length;
  void (*data_deallocator)(void* data, size_t length);
} TF_Buffer;

TF_Buffer* TF_NewBufferFromString(const void* proto, size_t proto_len);
TF_Buffer* TF_NewBuffer(void);
void TF_DeleteBuffer(TF_Buffer* buffer);

typedef struct TF_Graph TF_Graph;
typedef struct TF_Operation TF_Operation;
typedef struct TF_Session TF_Session;
typedef struct TF_SessionOptions TF_SessionOptions;
typedef struct TF_DeviceList TF_DeviceList;

typedef struct TF_Output {
  TF_Operation* oper;
  int index;
} TF_Output;

TF_Graph* TF_NewGraph(void);
void TF_DeleteGraph(TF_Graph* graph);
TF_Operation* TF_GraphOperationByName(TF_Graph* graph, const char* oper_name);

TF_SessionOptions* TF_NewSessionOptions(void);
void TF_DeleteSessionOptions(TF_SessionOptions* options);
TF_Session* TF_LoadSessionFromSavedModel(const TF_SessionOptions* session_options,
                                         const TF_Buffer* run_options, const char* export_dir,
                                         const char* const* tags, int tags_len, TF_Graph* graph,
                                         TF_Buffer* meta_graph_def, TF_Status* status);
void TF_DeleteSession(TF_Session* session, TF_Status* status);
void TF_SessionRun(TF_Session* session, const TF_Buffer* run_options, const TF_Output* inputs,
                   TF_Tensor* const* input_values, int ninputs, const TF_Output* outputs,
                   TF_Tensor** output_values, int noutputs,
                   const TF_Operation* const* target_opers, int ntargets,
                   TF_Buffer* run_metadata, TF_Status* status);

void TF_DeleteDeviceList(TF_DeviceList* list);
int TF_DeviceListCount(const TF_DeviceList* list);
const char* TF_DeviceListName(const TF_DeviceList* list, int index, TF_Status* status);
const char* TF_DeviceListType(const TF_DeviceList* list, int index, TF_Status* status);

/* ---------------------------------------------------------------- eager/c_api.h */
typedef struct TFE_ContextOptions TFE_ContextOptions;
typedef struct TFE_Context TFE_Context;
typedef struct TFE_TensorHandle TFE_TensorHandle;
typedef struct TFE_Op TFE_Op;

TFE_ContextOptions* TFE_NewContextOptions(void);
void TFE_DeleteContextOptions(TFE_ContextOptions* options);
TFE_Context* TFE_NewContext(const TFE_ContextOptions* opts, TF_Status* status);
void TFE_DeleteContext(TFE_Context* ctx);
TF_DeviceList* TFE_ContextListDevices(TFE_Context* ctx, TF_Status* status);

TFE_TensorHandle* TFE_NewTensorHandle(const TF_Tensor* t, TF_Status* status);
void TFE_DeleteTensorHandle(TFE_TensorHandle* h);
TF_DataType TFE_TensorHandleDataType(TFE_TensorHandle* h);
int TFE_TensorHandleNumDims(TFE_TensorHandle* h, TF_Status* status);
int64_t TFE_TensorHandleDim(TFE_TensorHandle* h, int dim_index, TF_Status* status);
TF_Tensor* TFE_TensorHandleResolve(TFE_TensorHandle* h, TF_Status* status);
TFE_TensorHandle* TFE_TensorHandleCopyToDevice(TFE_TensorHandle* h, TFE_Context* ctx,
                                               const char* device_name, TF_Status* status);

TFE_Op* TFE_NewOp(TFE_Context* ctx, const char* op_or_function_name, TF_Status* status);
void TFE_DeleteOp(TFE_Op* op);
void TFE_OpAddInput(TFE_Op* op, TFE_TensorHandle* input, TF_Status* status);
void TFE_OpSetAttrString(TFE_Op* op, const char* attr_name, const void* value, size_t length);
void TFE_OpSetAttrInt(TFE_Op* op, const char* attr_name, int64_t value);
void TFE_OpSetAttrFloat(TFE_Op* op, const char* attr_name, float value);
void TFE_OpSetAttrBool(TFE_Op* op, const char* attr_name, unsigned char value);
void TFE_OpSetAttrType(TFE_Op* op, const char* attr_name, TF_DataType value);
void TFE_OpSetAttrShape(TFE_Op* op, const char* attr_name, const int64_t* dims,
                        const int num_dims, TF_Status* out_status);
void TFE_OpSetAttrIntList(TFE_Op* op, const char* attr_name, const int64_t* values,
                          int num_values);
void TFE_OpSetAttrFloatList(TFE_Op* op, const char* attr_name, const float* values,
                            int num_values);
void TFE_OpSetAttrBoolList(TFE_Op* op, const char* attr_name, const unsigned char* values,
                           int num_values);
void TFE_Execute(TFE_Op* op, TFE_TensorHandle** retvals, int* num_retvals, TF_Status* status);

/* ---------------------------------------------------------------- tf_tstring.h / ctstring */
/*
 * TF_TString is TensorFlow's 24-byte string cell (a union of small/large/offset/view forms;
 * tensorflow.java: "_Static_assert(sizeof(TF_TString) == 24)"). The addon only needs its size
 * and alignment (it walks arrays of them) and the five operations below, so it is declared
 * opaque here and every operation goes through TensorFlow's exported functions.
 */
typedef struct TF_TString {
  union {
    uint8_t raw[24];
    size_t align_;
    void* align_ptr_;
  } u;
} TF_TString;

void TF_StringInit(TF_TString* t);
void TF_StringCopy(TF_TString* dst, const char* src, size_t size);
const char* TF_StringGetDataPointer(const TF_TString* tstr);
size_t TF_StringGetSize(const TF_TString* tstr);
void TF_StringDealloc(TF_TString* tstr);

static inline void TF_TString_Init(TF_TString* str) { TF_StringInit(str); }
static inline void TF_TString_Copy(TF_TString* dst, const char* src, size_t size) {
  TF_StringCopy(dst, src, size);
}
static inline const char* TF_TString_GetDataPointer(const TF_TString* str) {
  return TF_StringGetDataPointer(str);
}
static inline size_t TF_TString_GetSize(const TF_TString* str) { return TF_StringGetSize(str); }
static inline void TF_TString_Dealloc(TF_TString* str) { TF_StringDealloc(str); }

#ifdef __cplusplus
} /* extern "C" */
#endif

#ifdef __cplusplus
static_assert(sizeof(TF_TString) == 24, "TF_TString must be 24 bytes");
#endif

#endif /* DEBUT_TF_C_API_H_ */
