// Entry point of the speaker; replaced by the host composition (issue 4).
return 0;
