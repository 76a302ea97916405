#ifndef SWITCHYARD_CZEROMQ_SHIM_H
#define SWITCHYARD_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
