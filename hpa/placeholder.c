typedef int ps_hpa_placeholder_t; /* replaced when the hpa core lands */
