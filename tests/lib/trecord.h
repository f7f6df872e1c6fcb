/*
 * trecord: comparing two records field by field in tests, for modules
 * that store and restore them (record's JSON form, the baseline).
 */
#ifndef FIMD_TRECORD_H
#define FIMD_TRECORD_H

#include "record.h"

/* Fail the test unless every stored field of a and b is equal. */
void	trecord_assert_equal(const struct record *a, const struct record *b);

#endif
