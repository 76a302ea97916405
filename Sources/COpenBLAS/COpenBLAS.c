// COpenBLAS is a header-only shim; this file gives SwiftPM a C source to build.
