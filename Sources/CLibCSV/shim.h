// libcsv (Debian libcsv-dev); only SweepCSV imports this module.
#ifndef SWEEP_CLIBCSV_SHIM_H
#define SWEEP_CLIBCSV_SHIM_H

#include <csv.h>

#endif
