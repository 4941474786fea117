typedef int ps_vpa_placeholder_t; /* replaced when the vpa core lands */
